"""Benchmarks for stytch2workos: each prints ratios measured in one run.

``python -m bench`` (or ``make bench``) runs them all; ``python -m bench export
import`` runs the ones named; ``--quick`` uses small sizes. Speed targets live
here as achieved-rate ÷ budget ratios, never as timed assertions in the tests.

* ``emulators`` — requests per second each emulator serves (limits and faults off).
* ``export`` — members-search rate ÷ the Stytch search budget, and 429s received.
* ``from_json`` — seconds and peak memory to load a 200,000-member JSON export.
* ``import`` — user-management write rate ÷ WorkOS's 50/s under real limits and
  100 ms latency, CPU per member, and the speed-up over a sequential SDK loop.
* ``import_memory`` — peak memory of ``plan`` and ``import`` at 10k vs 200k members.
* ``passwords`` — rows per second and peak memory parsing and converting a
  1,000,000-row Stytch hash CSV.

The emulators always run in a process of their own and the tool runs as the real
CLI in another, so neither's work is hidden behind the other's GIL. Results go to
``bench-out/results.json``; the exit code is 0 even when a target is missed.
"""
