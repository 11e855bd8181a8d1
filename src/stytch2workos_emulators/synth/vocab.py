"""Word lists the synthetic-project generator draws names, companies and passwords from.

Every entry is invented. Names are paired with the ASCII spelling used to build email
addresses, because people with non-Latin names usually still have ASCII mailboxes.
"""

from __future__ import annotations

# (display, ascii) given names; several carry diacritics that the ASCII form drops.
GIVEN = (
    ("Ada", "ada"),
    ("Grace", "grace"),
    ("Alan", "alan"),
    ("Maya", "maya"),
    ("Omar", "omar"),
    ("Priya", "priya"),
    ("Kenji", "kenji"),
    ("Fatima", "fatima"),
    ("Noah", "noah"),
    ("Elena", "elena"),
    ("Tomás", "tomas"),
    ("Zoë", "zoe"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Björn", "bjorn"),
    ("Łukasz", "lukasz"),
    ("Siobhán", "siobhan"),
    ("François", "francois"),
    ("Aylin", "aylin"),
    ("Mateo", "mateo"),
    ("Ingrid", "ingrid"),
    ("Kwame", "kwame"),
    ("Amara", "amara"),
    ("Hiroshi", "hiroshi"),
    ("Mei", "mei"),
    ("Lars", "lars"),
    ("Nadia", "nadia"),
    ("Raj", "raj"),
    ("Sofía", "sofia"),
    ("Jürgen", "jurgen"),
    ("Anaïs", "anais"),
    ("Dario", "dario"),
    ("Yusuf", "yusuf"),
    ("Olivia", "olivia"),
    ("Ethan", "ethan"),
    ("Camille", "camille"),
    ("Mikko", "mikko"),
    ("Leilani", "leilani"),
    ("Tariq", "tariq"),
    ("Hannah", "hannah"),
)

FAMILY = (
    ("Lindqvist", "lindqvist"),
    ("Okafor", "okafor"),
    ("Nakamura", "nakamura"),
    ("García", "garcia"),
    ("Ångström", "angstrom"),
    ("Müller", "muller"),
    ("O'Brien", "obrien"),
    ("Kowalski", "kowalski"),
    ("Haddad", "haddad"),
    ("Fernández", "fernandez"),
    ("Dubois", "dubois"),
    ("Novák", "novak"),
    ("Østergaard", "ostergaard"),
    ("Rossi", "rossi"),
    ("Singh", "singh"),
    ("Nguyen", "nguyen"),
    ("Schmidt", "schmidt"),
    ("Petrov", "petrov"),
    ("Mensah", "mensah"),
    ("Yılmaz", "yilmaz"),
    ("Costa", "costa"),
    ("Takahashi", "takahashi"),
    ("Walker", "walker"),
    ("Smith-Jones", "smith-jones"),
    ("Virtanen", "virtanen"),
    ("Abara", "abara"),
    ("Castellano", "castellano"),
    ("Brennan", "brennan"),
)

# Several-word names: compound given names, then a family name with a particle.
COMPOUND_GIVEN = (
    ("José María", "josemaria"),
    ("Anna-Lena", "annalena"),
    ("Jean-Pierre", "jeanpierre"),
    ("Maria Fernanda", "mariafernanda"),
    ("Mary Kate", "marykate"),
    ("Li Na", "lina"),
)
PARTICLE_FAMILY = (
    ("de la Cruz", "delacruz"),
    ("van der Berg", "vanderberg"),
    ("von Hohenfeld", "vonhohenfeld"),
    ("da Silva Santos", "dasilvasantos"),
    ("bin Rahman", "binrahman"),
    ("de los Ríos", "delosrios"),
)

# Whole names in non-Latin scripts with the romanized mailbox a person would likely use.
NON_LATIN = (
    ("王小明", "xiaoming.wang"),
    ("李静", "jing.li"),
    ("张伟", "wei.zhang"),
    ("陈芳", "fang.chen"),
    ("佐藤花子", "hanako.sato"),
    ("鈴木一郎", "ichiro.suzuki"),
    ("김민준", "minjun.kim"),
    ("이서연", "seoyeon.lee"),
    ("Дмитрий Соколов", "dmitry.sokolov"),
    ("Анна Иванова", "anna.ivanova"),
    ("Νίκος Παπαδόπουλος", "nikos.papadopoulos"),
    ("ليلى حداد", "layla.haddad"),
    ("अनन्या शर्मा", "ananya.sharma"),
    ("דוד כהן", "david.cohen"),
    ("สมชาย ใจดี", "somchai.jaidee"),
)

# People known by a single name.
MONONYMS = (("Wulan", "wulan"), ("Bima", "bima"), ("Sukma", "sukma"), ("Teuila", "teuila"))

COMPANY_ADJECTIVES = (
    "Blue", "Quiet", "Bright", "Silver", "Northern", "Crimson", "Golden", "Swift", "Hidden",
    "Iron", "Lunar", "Maple", "Copper", "Amber", "Coral", "Polar", "Velvet", "Rapid", "Cedar",
    "Granite",
)  # fmt: skip
COMPANY_NOUNS = (
    "Harbor", "Falcon", "Forge", "Pixel", "Orchard", "Lattice", "Beacon", "Summit", "Ledger",
    "Canyon", "Anchor", "Meadow", "Signal", "Vertex", "Harvest", "Quarry", "Lantern", "Circuit",
    "Prairie", "Atlas",
)  # fmt: skip
COMPANY_SUFFIXES = ("", "", "", " Inc.", " Labs", " GmbH", " Ltd", " Co.", " Systems", " AB")
# (display, slug base) for companies whose names do not fold to ASCII on their own.
NON_ASCII_COMPANIES = (
    ("Ångström Optik", "angstrom-optik"),
    ("Café Müller & Söhne", "cafe-mueller"),
    ("Øresund Logistik", "oresund-logistik"),
    ("Łódź Mobility", "lodz-mobility"),
    ("Ñandú Software", "nandu-software"),
    ("東京データ工房", "tokyo-data"),
    ("Société Étoile", "societe-etoile"),
    ("Čapek Robotika", "capek-robotika"),
)
# A second organization of the same company: (name suffix, slug suffix).
SIBLING_SUFFIXES = (
    (" EU", "-eu"),
    (" Sandbox", "-sandbox"),
    (" (Staging)", "-staging"),
    (" APAC", "-apac"),
    (" Labs", "-labs"),
)

COMPANY_TLDS = ("example", "example", "example", "test", "example.com", "example.net")
# Mailboxes not tied to any one customer: freelancers, consultants, personal addresses.
ROAMING_DOMAINS = ("mail.example", "inbox.test", "post.example.net", "consultants.example.org")
PLUS_TAGS = ("stytch", "work", "admin", "sso")

DEPARTMENTS = ("Engineering", "Finance", "Sales", "Support", "Legal", "Design", "Operations")
LOCALES = ("en", "en", "en", "de", "fr", "ja", "pt-BR", "")

PASSWORD_WORDS = (
    "harbor", "violet", "anchor", "maple", "rocket", "pebble", "lantern", "tundra", "cobalt",
    "walnut", "meteor", "saffron", "glacier", "thimble", "orbit", "juniper",
)  # fmt: skip
NON_ASCII_PASSWORD_WORDS = (
    "Grüße", "Straße", "Köln", "пароль", "Зима", "秘密の鍵", "contraseña", "ñandú", "Ærø",
    "çà-et-là", "ελευθερία", "🦜", "🔑", "안녕",
)  # fmt: skip
PASSWORD_SYMBOLS = "!@#$%^&*-_=+?.,;:~"
