"""Fixed material for the demonstration data: Birmingham places, police stations, services.

Streets, areas and postcode districts are real Birmingham ones so that the data looks right
on screen; every person, officer, house number and phone number built from them is made up.
Phone numbers come only from Ofcom's drama ranges and e-mail addresses only from example
domains, so nothing here can reach a real person.
"""

from __future__ import annotations

from followup.vocab import ContactOutcome, Role, ServiceType

__all__ = [
    "ATTEMPT_NOTES",
    "CHECK_IN_NOTES",
    "CITY_CENTRE_PLACES",
    "DEMO_PASSWORD",
    "DEMO_LETTERHEAD",
    "DEMO_SERVICES",
    "DEMO_USERS",
    "DESCRIPTION_CLOTHES",
    "DESCRIPTION_LOOKS",
    "DISTRICTS",
    "FORCE",
    "FORCE_PREFIX",
    "GP_FORMS",
    "PARKS",
    "POSTCODE_UNIT_LETTERS",
    "PUBLIC_PLACE_FORMS",
    "REFERRAL_NOTES",
    "STATIONS",
    "STREET_SUFFIXES",
    "SUBSTANCES",
    "District",
]

FORCE = "West Midlands Police"
FORCE_PREFIX = "WMP"

# Postcode district, area, plausible sector digits, streets, nearest police station.
District = tuple[str, str, str, tuple[str, ...], str]

DISTRICTS: tuple[District, ...] = (
    (
        "B1",
        "City Centre",
        "123",
        ("Broad Street", "Navigation Street", "Sheepcote Street", "Gas Street"),
        "Steelhouse Lane",
    ),
    (
        "B2",
        "City Centre",
        "45",
        ("New Street", "Temple Row", "Waterloo Street", "Cannon Street"),
        "Steelhouse Lane",
    ),
    (
        "B3",
        "City Centre",
        "123",
        ("Colmore Row", "Newhall Street", "Livery Street", "Great Charles Street Queensway"),
        "Steelhouse Lane",
    ),
    (
        "B4",
        "City Centre",
        "67",
        ("Corporation Street", "Steelhouse Lane", "Dale End", "Bull Street"),
        "Steelhouse Lane",
    ),
    (
        "B5",
        "Digbeth",
        "4567",
        ("Digbeth", "Hurst Street", "Bromsgrove Street", "Bradford Street", "Pershore Street"),
        "Steelhouse Lane",
    ),
    (
        "B6",
        "Aston",
        "4567",
        ("Lichfield Road", "Witton Road", "Aston Lane", "Trinity Road"),
        "Aston",
    ),
    (
        "B7",
        "Nechells",
        "45",
        ("Nechells Park Road", "Cromwell Street", "Rupert Street", "Saltley Road"),
        "Aston",
    ),
    (
        "B8",
        "Saltley",
        "123",
        ("Alum Rock Road", "Washwood Heath Road", "Adderley Road", "Highfield Road"),
        "Stechford",
    ),
    (
        "B9",
        "Bordesley Green",
        "45",
        ("Bordesley Green", "Cherrywood Road", "Blake Lane", "Coventry Road"),
        "Stechford",
    ),
    (
        "B10",
        "Small Heath",
        "09",
        ("Coventry Road", "Green Lane", "Golden Hillock Road", "Charles Road"),
        "Sparkhill",
    ),
    (
        "B11",
        "Sparkhill",
        "1234",
        ("Stratford Road", "Ladypool Road", "Showell Green Lane", "Durham Road"),
        "Sparkhill",
    ),
    (
        "B12",
        "Balsall Heath",
        "089",
        ("Moseley Road", "Edward Road", "Mary Street", "Clifton Road"),
        "Sparkhill",
    ),
    (
        "B13",
        "Moseley",
        "89",
        ("Alcester Road", "Woodbridge Road", "Wake Green Road", "Salisbury Road"),
        "Kings Heath",
    ),
    (
        "B14",
        "Kings Heath",
        "4567",
        ("High Street", "Vicarage Road", "Institute Road", "Brandwood Road"),
        "Kings Heath",
    ),
    (
        "B15",
        "Edgbaston",
        "123",
        ("Hagley Road", "Harborne Road", "Bristol Road", "Wheeleys Road"),
        "Ladywood",
    ),
    (
        "B16",
        "Ladywood",
        "089",
        ("Ladywood Middleway", "Monument Road", "Freeth Street", "Ledsam Street"),
        "Ladywood",
    ),
    (
        "B17",
        "Harborne",
        "089",
        ("High Street", "War Lane", "Lordswood Road", "Harborne Park Road"),
        "Harborne",
    ),
    (
        "B18",
        "Winson Green",
        "4567",
        ("Dudley Road", "Icknield Street", "Winson Green Road", "Spring Hill"),
        "Ladywood",
    ),
    (
        "B19",
        "Lozells",
        "123",
        ("Lozells Road", "Newtown Row", "Wheeler Street", "Villa Road"),
        "Aston",
    ),
    (
        "B20",
        "Handsworth",
        "123",
        ("Soho Road", "Rookery Road", "Holly Road", "Hamstead Road"),
        "Perry Barr",
    ),
    (
        "B21",
        "Handsworth Wood",
        "089",
        ("Handsworth Wood Road", "Church Lane", "Oxhill Road"),
        "Perry Barr",
    ),
    (
        "B23",
        "Erdington",
        "567",
        ("Slade Road", "Sutton Road", "Reservoir Road", "Wood End Road"),
        "Erdington",
    ),
    (
        "B24",
        "Tyburn",
        "089",
        ("Kingsbury Road", "Tyburn Road", "Chester Road", "Bromford Lane"),
        "Erdington",
    ),
    (
        "B25",
        "Yardley",
        "8",
        ("Church Road", "Stoney Lane", "Yardley Road", "Hob Moor Road"),
        "Stechford",
    ),
    ("B26", "Sheldon", "123", ("Coventry Road", "Wagon Lane", "Horrell Road"), "Stechford"),
    (
        "B27",
        "Acocks Green",
        "67",
        ("Warwick Road", "Westley Road", "Shirley Road", "Yardley Road"),
        "Acocks Green",
    ),
    (
        "B28",
        "Hall Green",
        "089",
        ("Stratford Road", "Fox Hollies Road", "Robin Hood Lane"),
        "Acocks Green",
    ),
    (
        "B29",
        "Selly Oak",
        "4567",
        ("Bristol Road", "Harborne Lane", "Oak Tree Lane", "Tiverton Road"),
        "Bournville Lane",
    ),
    (
        "B30",
        "Stirchley",
        "123",
        ("Pershore Road", "Hazelwell Street", "Mary Vale Road", "Bournville Lane"),
        "Bournville Lane",
    ),
    (
        "B31",
        "Northfield",
        "12345",
        ("Bristol Road South", "Church Road", "Frankley Beeches Road", "Hoggs Lane"),
        "Bournville Lane",
    ),
    ("B32", "Quinton", "1234", ("Hagley Road West", "Ridgacre Road", "Jiggins Lane"), "Harborne"),
    (
        "B33",
        "Kitts Green",
        "89",
        ("Station Road", "Kitts Green Road", "Meadway", "Flaxley Road"),
        "Stechford",
    ),
    (
        "B34",
        "Shard End",
        "67",
        ("Packington Avenue", "Shard End Crescent", "Heath Way"),
        "Stechford",
    ),
    (
        "B35",
        "Castle Vale",
        "67",
        ("Farnborough Road", "Tangmere Drive", "Reed Square"),
        "Erdington",
    ),
    (
        "B36",
        "Hodge Hill",
        "089",
        ("Coleshill Road", "Bromford Lane", "Hodge Hill Common"),
        "Stechford",
    ),
    (
        "B38",
        "Kings Norton",
        "089",
        ("Pershore Road South", "Redditch Road", "Hawkesley Mill Lane"),
        "Kings Norton",
    ),
    ("B42", "Perry Barr", "12", ("Walsall Road", "Aldridge Road", "Birchfield Road"), "Perry Barr"),
    (
        "B44",
        "Kingstanding",
        "089",
        ("Kingstanding Road", "College Road", "Warren Farm Road"),
        "Perry Barr",
    ),
)

# Places in the centre where overdoses are often found, with a postcode near them.
CITY_CENTRE_PLACES: tuple[tuple[str, str], ...] = (
    ("New Street Station concourse, City Centre", "B2 4QA"),
    ("Moor Street Station, Moor Street Queensway", "B4 7UL"),
    ("Digbeth Coach Station, Digbeth", "B5 6DY"),
    ("St Philip's Cathedral grounds, Colmore Row", "B3 2QB"),
    ("Centenary Square, Broad Street", "B1 2EA"),
    ("Bus shelter, Corporation Street", "B4 6QB"),
    ("Car park off Hurst Street", "B5 4TD"),
    ("Public toilets, Edgbaston Street", "B5 4QL"),
    ("Doorway of a closed shop, Dale End", "B4 7LN"),
    ("Canal towpath near Gas Street Basin", "B1 2JT"),
)

PARKS: tuple[tuple[str, str], ...] = (
    ("Cannon Hill Park", "B13"),
    ("Small Heath Park", "B10"),
    ("Handsworth Park", "B20"),
    ("Summerfield Park", "B18"),
    ("Highgate Park", "B12"),
    ("Calthorpe Park", "B12"),
    ("Ward End Park", "B8"),
    ("Kings Heath Park", "B14"),
    ("Aston Park", "B6"),
    ("Perry Park", "B42"),
)

PUBLIC_PLACE_FORMS: tuple[str, ...] = (
    "{street}, {area}",
    "outside {num} {street}, {area}",
    "bus shelter on {street}, {area}",
    "stairwell of a block of flats, {street}, {area}",
    "alleyway behind shops on {street}, {area}",
    "car park off {street}, {area}",
    "hostel, {street}, {area}",
    "supported housing, {street}, {area}",
)

STREET_SUFFIXES = ("Road", "Street", "Close", "Grove", "Avenue", "Drive", "Crescent", "Lane")

STATIONS = (
    "Steelhouse Lane",
    "Aston",
    "Stechford",
    "Sparkhill",
    "Kings Heath",
    "Ladywood",
    "Harborne",
    "Perry Barr",
    "Erdington",
    "Acocks Green",
    "Bournville Lane",
    "Kings Norton",
)

# Letters allowed in the last part of a postcode (C, I, K, M, O and V never appear there).
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

SUBSTANCES: tuple[tuple[str, int], ...] = (
    ("heroin", 30),
    ("heroin; crack cocaine", 26),
    ("heroin; alcohol", 8),
    ("heroin; benzodiazepines", 7),
    ("heroin; pregabalin", 5),
    ("methadone", 4),
    ("methadone; alcohol", 3),
    ("heroin; crack cocaine; alcohol", 5),
    ("unknown opioid", 4),
    ("heroin; synthetic cannabinoids (spice)", 3),
    ("nitazenes (suspected)", 2),
    ("oxycodone", 1),
    ("fentanyl (suspected)", 1),
    ("heroin; street benzodiazepines; alcohol", 2),
)

DESCRIPTION_LOOKS = ("white", "white", "white", "black", "Asian", "mixed-race")
DESCRIPTION_CLOTHES = (
    "green jacket",
    "grey hoodie",
    "black puffer jacket",
    "blue tracksuit",
    "red cap and dark coat",
    "camouflage jacket",
    "black beanie, beard",
    "sleeping bag, brown coat",
    "navy parka",
    "hi-vis vest",
)

REFERRAL_NOTES = (
    "Found by a member of the public.",
    "Responded after the second dose.",
    "Declined to go to hospital once alert.",
    "Friend present at the scene and gave first aid.",
    "Staff at the hostel called 999.",
    "Found in a public toilet by a cleaner.",
    "Said they had used alone.",
)

ATTEMPT_NOTES = {
    ContactOutcome.NO_ANSWER: ("Rang, no reply.", "Rang twice, no reply.", "Phone rang out."),
    ContactOutcome.VOICEMAIL_LEFT: (
        "Left a brief voicemail asking them to ring back.",
        "Left a discreet message.",
    ),
    ContactOutcome.MESSAGE_SENT: (
        "Text sent with our number.",
        "Discreet text sent asking them to get in touch.",
    ),
    ContactOutcome.LETTER_SENT: ("Discreet letter sent with our number.",),
    ContactOutcome.RETURNED_MAIL: ("Letter came back: not known at this address.",),
    ContactOutcome.NOT_AT_ADDRESS: (
        "No one in; card left.",
        "Neighbour said they have not been seen for a few days.",
    ),
    ContactOutcome.WRONG_NUMBER: ("Number belongs to someone else.",),
    ContactOutcome.SPOKE_ENGAGED: (
        "Spoke with them; happy to have support.",
        "Agreed to meet this week.",
    ),
    ContactOutcome.SPOKE_DECLINED: ("Spoke with them; does not want support at the moment.",),
    ContactOutcome.OTHER: (
        "Looked for them at the usual places; not seen.",
        "Asked outreach partners to pass on our number.",
    ),
}
CHECK_IN_NOTES = (
    "Check-in call; going well.",
    "Check-in; attending appointments.",
    "Met for a coffee; still engaged.",
)

GP_FORMS = (
    "{area} Medical Centre",
    "{area} Health Centre",
    "{street} Surgery",
    "{area} Family Practice",
)

# Staff of the demonstration team: user name, role, display name.
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("admin", Role.ADMIN, "Sam Okafor"),
    ("lead", Role.LEAD, "Helen Carter"),
    ("worker1", Role.WORKER, "Aisha Rahman"),
    ("worker2", Role.WORKER, "Tom Bennett"),
    ("worker3", Role.WORKER, "Grace Mensah"),
    ("worker4", Role.WORKER, "Daniel Hughes"),
    ("worker5", Role.WORKER, "Megan Price"),
    ("worker6", Role.WORKER, "Imran Qureshi"),
    ("worker7", Role.WORKER, "Laura Walsh"),
    ("worker8", Role.WORKER, "Marcus Reid"),
)
DEMO_PASSWORD = "demo"

# A made-up organisation; its phone number is in Ofcom's range for drama (0121 496 0000-0999).
DEMO_LETTERHEAD = {
    "name": "Riverside Community Support Team (demonstration)",
    "address": "Unit 4, 1 Example Yard\nBirmingham\nB1 1AA",
    "phone": "0121 496 0500",
}

DEMO_SERVICES: tuple[dict[str, str], ...] = (
    {
        "name": "Northgate Community Drug and Alcohol Service",
        "service_type": ServiceType.TREATMENT,
        "address": "12 Fazeley Street, Digbeth, Birmingham B5 5RS",
        "phone": "+441214960101",
        "secure_email": "northgate.referrals@example.org",
        "referral_notes": "Open access assessments weekday mornings; same-week prescribing for opioid users.",
    },
    {
        "name": "Highgate Prescribing Clinic",
        "service_type": ServiceType.TREATMENT,
        "address": "40 Moseley Road, Balsall Heath, Birmingham B12 0HJ",
        "phone": "+441214960202",
        "secure_email": "highgate.clinic@example.org",
        "referral_notes": "Opioid substitution therapy; referral by secure e-mail with consent.",
    },
    {
        "name": "Eastside Harm Reduction Hub",
        "service_type": ServiceType.HARM_REDUCTION,
        "address": "7 Allison Street, Digbeth, Birmingham B5 5TH",
        "phone": "+441214960303",
        "secure_email": "eastside.hub@example.org",
        "referral_notes": "Needle and syringe programme, naloxone, wound care; drop in, no appointment.",
    },
    {
        "name": "Brindley Housing Support",
        "service_type": ServiceType.HOUSING,
        "address": "3 Sheepcote Street, Birmingham B16 8AE",
        "phone": "+441214960404",
        "secure_email": "brindley.housing@example.org",
        "referral_notes": "Tenancy support and emergency accommodation referrals.",
    },
    {
        "name": "Calthorpe Community Mental Health Team",
        "service_type": ServiceType.MENTAL_HEALTH,
        "address": "21 Wheeleys Road, Edgbaston, Birmingham B15 2LD",
        "phone": "+441214960505",
        "secure_email": "calthorpe.cmht@example.org",
        "referral_notes": "Dual-diagnosis clinic on Thursdays; referral form by secure e-mail.",
    },
)
