// Sorting and filtering for the report's tables; no library, nothing fetched.
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var sortKey = cell.getAttribute("data-sort");
    return sortKey !== null ? sortKey : cell.textContent.trim();
  }

  function asNumber(text) {
    var cleaned = text.replace(/,/g, "");
    return cleaned !== "" && isFinite(cleaned) ? Number(cleaned) : null;
  }

  function compare(a, b) {
    var x = asNumber(a), y = asNumber(b);
    if (x !== null && y !== null) { return x - y; }
    return a.localeCompare(b, undefined, { sensitivity: "base", numeric: true });
  }

  function sortBy(table, header, index) {
    var body = table.tBodies[0];
    var descending = header.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var order = compare(cellValue(r1, index), cellValue(r2, index));
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function filter(table, query, counter) {
    var needle = query.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var match = needle === "" || row.textContent.toLowerCase().indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (counter) { counter.textContent = String(shown); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.data"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      header.setAttribute("title", "Sort");
      header.addEventListener("click", function () { sortBy(table, header, index); });
    });
    var input = document.querySelector('input[data-filter="' + table.id + '"]');
    var counter = document.querySelector('[data-shown-for="' + table.id + '"]');
    if (input) {
      input.addEventListener("input", function () { filter(table, input.value, counter); });
    }
    filter(table, "", counter);
  });
  document.body.setAttribute("data-ready", "1");
})();
