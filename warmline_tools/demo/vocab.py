"""Words the demo company is made of: markets, industries, titles, interests, and the
sentences a rep writes in a timeline or a personal fact.

Everything here is plain data; `generate.py` picks from it with a seeded random generator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Market:
    """A country the demo company sells into, with local colour for personal facts."""

    locale: str  # Faker locale
    country: str  # ISO 3166 code, also the phone region
    weight: int  # share of accounts
    tlds: tuple[str, ...]
    legal_suffixes: tuple[str, ...]
    cities: tuple[str, ...]
    ride: str
    marathon: str
    team: str
    currency: str


MARKETS: tuple[Market, ...] = (
    Market(
        "en_US",
        "US",
        34,
        ("com",),
        ("Inc.", "LLC", "Corp."),
        ("Chicago", "Houston", "Pittsburgh", "Milwaukee", "Charlotte", "Denver", "Cleveland"),
        "Five Boro Bike Tour",
        "the Chicago Marathon",
        "Green Bay Packers",
        "USD",
    ),
    Market(
        "en_GB",
        "GB",
        16,
        ("co.uk", "com"),
        ("Ltd", "plc", "Ltd"),
        ("Leeds", "Sheffield", "Bristol", "Glasgow", "Birmingham", "Manchester"),
        "Ride London 100",
        "the London Marathon",
        "Leeds United",
        "GBP",
    ),
    Market(
        "de_DE",
        "DE",
        16,
        ("de",),
        ("GmbH", "AG", "GmbH & Co. KG"),
        ("Dortmund", "Stuttgart", "Hamburg", "Leipzig", "Duisburg", "Mannheim"),
        "Cyclassics in Hamburg",
        "the Berlin Marathon",
        "Borussia Dortmund",
        "EUR",
    ),
    Market(
        "fr_FR",
        "FR",
        9,
        ("fr",),
        ("SA", "SAS", "SARL"),
        ("Lyon", "Lille", "Toulouse", "Grenoble", "Nantes", "Rouen"),
        "L'Étape du Tour",
        "the Paris Marathon",
        "Olympique Lyonnais",
        "EUR",
    ),
    Market(
        "nl_NL",
        "NL",
        8,
        ("nl",),
        ("B.V.", "N.V."),
        ("Rotterdam", "Eindhoven", "Utrecht", "Groningen", "Delft"),
        "Amstel Gold Race",
        "the Rotterdam Marathon",
        "Feyenoord",
        "EUR",
    ),
    Market(
        "es_ES",
        "ES",
        7,
        ("es",),
        ("S.A.", "S.L."),
        ("Bilbao", "Valencia", "Zaragoza", "Sevilla", "Barcelona"),
        "Quebrantahuesos",
        "the Valencia Marathon",
        "Athletic Bilbao",
        "EUR",
    ),
    Market(
        "it_IT",
        "IT",
        5,
        ("it",),
        ("S.p.A.", "S.r.l."),
        ("Torino", "Milano", "Brescia", "Bologna", "Verona"),
        "Maratona dles Dolomites",
        "the Rome Marathon",
        "Juventus",
        "EUR",
    ),
    Market(
        "sv_SE",
        "SE",
        5,
        ("se",),
        ("AB",),
        ("Göteborg", "Västerås", "Malmö", "Linköping", "Uppsala"),
        "Vätternrundan",
        "the Stockholm Marathon",
        "IFK Göteborg",
        "SEK",
    ),
)

INDUSTRIES = (
    "Food & beverage",
    "Water & wastewater",
    "Chemicals",
    "Pharmaceuticals",
    "Automotive",
    "Mining",
    "Oil & gas",
    "Pulp & paper",
    "Building services",
    "Agriculture",
    "Marine",
    "Power generation",
    "Metal processing",
    "Logistics",
)

COMPANY_WORDS = (
    "Flow",
    "Process",
    "Industrial",
    "Systems",
    "Engineering",
    "Works",
    "Technologies",
    "Manufacturing",
)

# Interests: what the demo company (an industrial supplier) has content and products for.
TAGS = (
    "pumps",
    "valves",
    "compressors",
    "hydraulics",
    "automation",
    "sensors",
    "drives & motors",
    "filtration",
    "spare parts",
    "service contracts",
    "predictive maintenance",
    "energy efficiency",
    "sustainability",
    "safety",
    "training",
    "iot",
)

TITLES = (
    "Head of Procurement",
    "Purchasing Manager",
    "Senior Buyer",
    "Strategic Sourcing Lead",
    "Maintenance Manager",
    "Plant Engineer",
    "Process Engineer",
    "Head of Engineering",
    "Reliability Engineer",
    "Plant Manager",
    "Operations Director",
    "Facilities Manager",
    "Energy Manager",
    "EHS Manager",
    "Project Manager",
    "Technical Director",
    "Managing Director",
    "CFO",
    "COO",
)

PRODUCTS = (
    "SP-200 centrifugal pump",
    "SP-400 pump line",
    "VX control valves",
    "AeroMax compressor",
    "FlowSense sensor kit",
    "HydroDrive VFD",
    "PureLine filters",
    "SmartSeal kits",
    "Northwind Cloud monitoring",
)

PRODUCT_SLUGS = (
    "sp-200",
    "sp-400",
    "vx-valves",
    "aeromax",
    "flowsense",
    "hydrodrive",
    "pureline",
    "smartseal",
    "northwind-cloud",
)

COMPETITORS = ("Contoso Pumps", "Fabrikam Flow", "Tailspin Industrial", "Litware Valves")

FAIRS = ("Hannover Messe", "ACHEMA", "IFAT Munich", "WEFTEC", "Pumps & Valves Dortmund")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

PETS = ("Biscuit", "Luna", "Max", "Pepper", "Otto", "Nala", "Bruno")

# --- Personal facts: (kind, template). Slots are filled per contact. -------------------

FACTS: tuple[tuple[str, str], ...] = (
    ("family", "Two kids, {kid1} ({age1}) and {kid2} ({age2})"),
    ("family", "Married to {partner}; they met at university in {city}"),
    ("family", "Daughter {kid1} just started university — studying mechanical engineering"),
    ("family", "New baby, {kid1}, born in {month}; back from parental leave since"),
    ("family", "Son {kid1} plays under-{age1} football; {first} coaches the team on Saturdays"),
    ("family", "Has a rescue greyhound called {pet}; often mentions walks before work"),
    ("family", "Grandparent twice over — happy to show photos"),
    ("hobby", "Cycles to work; did the {ride} last year"),
    ("hobby", "Runs marathons — finished {marathon} in 3:41"),
    ("hobby", "Keen sailor; keeps a small boat near {city}"),
    ("hobby", "Plays trumpet in a brass band on Sunday mornings"),
    ("hobby", "Big {team} fan — season ticket holder, don't call on match days"),
    ("hobby", "Home-brews beer; brought a bottle of IPA to the last site visit"),
    ("hobby", "Learning Italian for a trip to Sicily in {month}"),
    ("hobby", "Birdwatcher; ask about the spring migration"),
    ("hobby", "Restores old motorbikes — currently a 1972 Honda CB350"),
    ("hobby", "Plays padel twice a week; challenged me to a match"),
    ("work", "Was at {competitor} for eight years before joining"),
    ("work", "Signs off anything over {amount}; above that it goes to the CFO"),
    ("work", "Engineer by training; wants the datasheet before the pitch"),
    ("work", "Runs the annual shutdown in {month}; orders go in six weeks before"),
    ("work", "Sits on the industry association's safety committee"),
    ("work", "Promoted from shift lead; knows every machine on line 3"),
    ("preference", "Prefers calls before 10am; no meetings on Fridays"),
    ("preference", "Hates long e-mails — bullet points only"),
    ("preference", "Prefers a text message for quick questions"),
    ("preference", "Vegetarian — remember for the customer dinner"),
    ("preference", "Likes flat whites; meet at the café across from the plant"),
    ("preference", "Wants quotes in {currency} with delivery included"),
    ("other", "Met at {fair} on our stand; came back twice with questions"),
    ("other", "Volunteers at the local food bank every December"),
    ("other", "Moved here from {city} three years ago"),
)

LIFE_EVENTS = (
    "Daughter's wedding",
    "Retirement party",
    "Moving to the new plant",
    "Back from sabbatical",
    "Running {marathon}",
)

# --- Timeline: what a rep writes. ------------------------------------------------------

CALL_CONNECTED = (
    "Talked through the {product} retrofit; wants a quote for {qty} units by {weekday}.",
    "Quick catch-up. Shutdown planned for {month}; they'll need seals and a service visit.",
    "Called about the late delivery — apologised, confirmed it ships on {weekday}.",
    "Asked about energy savings with the {product}; sending the case study.",
    "Service contract renewal: happy overall, wants faster on-site response.",
    "{first} mentioned a budget freeze until {month}; keep in touch.",
    "Went through the pilot results — 14% less downtime on line 3.",
    "Checked in after the installation; all running, one operator needs training.",
    "Price question on the {product}; {competitor} quoted lower, we win on lead time.",
    "{first} called back about the spare-parts list; confirmed stock for {qty} kits.",
)

CALL_OTHER = {
    "no_answer": ("", "No answer; try again after lunch.", "Rang out — try the mobile."),
    "busy": ("Line busy.", ""),
    "wrong_number": ("Wrong number — switchboard gave a new direct line.",),
}

VOICEMAILS = (
    "Left a voicemail about the {product} quote; asked for a call back.",
    "Voicemail: invited {first} to our stand at {fair}.",
    "Left a message about the service visit on {weekday}.",
    "Voicemail re: renewal — will try again {weekday}.",
)

MEETINGS = (
    (
        "Site visit at the {city} plant",
        "Walked the plant with {first}; two pumps past service life.",
    ),
    ("Quarterly business review", "Reviewed orders and open cases; next review in {month}."),
    ("Demo of the {product}", "Live demo for {first} and two engineers; asked for a trial unit."),
    ("Lunch with {first}", "Mostly family and holidays; mentioned the shutdown in {month}."),
    ("Training for the maintenance team", "Trained six technicians on the {product}."),
    ("Contract renewal", "Agreed a two-year service contract, signature by {weekday}."),
    ("Meeting at {fair}", "Met on our stand; interested in the {product}."),
)

NOTES = (
    "{first} is moving to the {city} site in {month}.",
    "{competitor} quoted 8% lower on the last tender; we won on service.",
    "Budget cycle starts in {month}; get the proposal in before then.",
    "Decision maker is the plant manager; {first} writes the spec.",
    "Asked for references in {industry}; sent two.",
    "Order for {qty} units expected after the board meeting in {month}.",
)

EMAILS_OUT = (
    ("Quote for {qty} × {product}", "Sent the quote and datasheet; valid for 30 days."),
    ("Following up on our call", "Summary of the call and the next steps."),
    ("Case study: energy savings in {industry}", "Shared the case study we discussed."),
    ("Your service visit on {weekday}", "Confirmed the technician and the time window."),
    ("Invitation: {fair}", "Invited {first} to our stand with a free pass."),
)

EMAILS_IN = (
    ("Re: Quote", "Asks whether delivery by the end of {month} is possible."),
    ("Question about the {product}", "Wants the maintenance interval for the seals."),
    ("Invoice query", "Invoice shows the wrong PO number; asked for a corrected copy."),
)

CHECKIN_NOTES = (
    "Checked in after delivery: everything arrived as ordered.",
    "Congratulated {first} on the promotion.",
    "Happy birthday note — hand-written card.",
    "Thank-you note after the site visit.",
    "Six-month check-in on the {product}: running well.",
)

NEWSLETTERS = (
    "{month} product news",
    "New: the {product}",
    "Case study: {industry}",
    "Meet us at {fair}",
)
