"""Reference tables for geography: ccTLDs, phone prefixes, currencies, regions and cities with context."""

from __future__ import annotations

# fmt: off

# Generic TLDs that look like country codes but are sold worldwide; they say nothing about location.
GENERIC_TLDS = frozenset(["co", "io", "ai", "me", "app", "dev", "ly", "so", "tv", "fm", "gg", "cc", "ws", "to", "sh", "la", "xyz", "tech", "site", "online"])

CCTLDS: dict[str, str] = {
    "au": "AU", "com.au": "AU", "net.au": "AU", "org.au": "AU", "uk": "GB", "co.uk": "GB", "org.uk": "GB",
    "nz": "NZ", "co.nz": "NZ", "ca": "CA", "us": "US", "ie": "IE", "de": "DE", "fr": "FR", "es": "ES",
    "it": "IT", "nl": "NL", "be": "BE", "ch": "CH", "at": "AT", "se": "SE", "no": "NO", "dk": "DK", "fi": "FI",
    "pl": "PL", "pt": "PT", "gr": "GR", "cz": "CZ", "hu": "HU", "ro": "RO", "in": "IN", "co.in": "IN",
    "sg": "SG", "com.sg": "SG", "my": "MY", "com.my": "MY", "hk": "HK", "jp": "JP", "co.jp": "JP",
    "kr": "KR", "cn": "CN", "za": "ZA", "co.za": "ZA", "br": "BR", "com.br": "BR", "mx": "MX", "com.mx": "MX",
    "ar": "AR", "com.ar": "AR", "cl": "CL", "ae": "AE", "sa": "SA", "il": "IL", "co.il": "IL", "tr": "TR",
    "ph": "PH", "com.ph": "PH", "id": "ID", "co.id": "ID", "th": "TH", "vn": "VN", "ng": "NG", "ke": "KE",
}

PHONE_PREFIXES: dict[str, str] = {
    "61": "AU", "44": "GB", "64": "NZ", "353": "IE", "49": "DE", "33": "FR", "34": "ES", "39": "IT", "31": "NL",
    "32": "BE", "41": "CH", "43": "AT", "46": "SE", "47": "NO", "45": "DK", "358": "FI", "48": "PL",
    "351": "PT", "91": "IN", "65": "SG", "60": "MY", "852": "HK", "81": "JP", "82": "KR", "27": "ZA",
    "55": "BR", "52": "MX", "971": "AE", "966": "SA", "972": "IL", "90": "TR", "63": "PH", "1": "US",
}

# Currency markers that name one country; the euro and a bare "$" name none.
CURRENCIES: tuple[tuple[str, str], ...] = (
    (r"A\$|\bAUD\b", "AU"), (r"NZ\$|\bNZD\b", "NZ"), (r"C\$|CA\$|\bCAD\b", "CA"), (r"£|\bGBP\b", "GB"),
    (r"S\$|\bSGD\b", "SG"), (r"₹|\bINR\b", "IN"), (r"\bZAR\b", "ZA"), (r"\bAED\b", "AE"), (r"US\$|\bUSD\b", "US"),
    (r"\bCHF\b", "CH"), (r"\bJPY\b|¥", "JP"),
)

COUNTRY_NAMES: dict[str, str] = {
    "australia": "AU", "united kingdom": "GB", "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "england and wales": "GB", "great britain": "GB", "northern ireland": "GB", "new zealand": "NZ",
    "canada": "CA", "united states": "US", "united states of america": "US", "usa": "US", "us": "US",
    "ireland": "IE", "germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES", "italy": "IT",
    "netherlands": "NL", "the netherlands": "NL", "belgium": "BE", "switzerland": "CH", "austria": "AT",
    "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI", "poland": "PL", "portugal": "PT",
    "india": "IN", "singapore": "SG", "malaysia": "MY", "hong kong": "HK", "japan": "JP", "south africa": "ZA",
    "brazil": "BR", "mexico": "MX", "united arab emirates": "AE", "uae": "AE", "israel": "IL", "philippines": "PH",
}

# Regions written the way addresses write them. Abbreviations are matched case-sensitively and only next to a
# postcode or after "City,", so the English words "act", "wa" or "sa" are never read as a state.
REGIONS: dict[str, dict[str, str]] = {
    "AU": {
        "NSW": "New South Wales", "VIC": "Victoria", "QLD": "Queensland", "SA": "South Australia",
        "WA": "Western Australia", "TAS": "Tasmania", "NT": "Northern Territory", "ACT": "Australian Capital Territory",
    },
    "US": {
        code: code
        for code in ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC"]
    },
    "CA": {code: code for code in ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]},
}
REGION_NAMES: dict[str, tuple[str, str]] = {
    "new south wales": ("AU", "NSW"), "victoria": ("AU", "VIC"), "queensland": ("AU", "QLD"),
    "south australia": ("AU", "SA"), "western australia": ("AU", "WA"), "tasmania": ("AU", "TAS"),
    "australian capital territory": ("AU", "ACT"), "northern territory": ("AU", "NT"),
    "california": ("US", "CA"), "new york": ("US", "NY"), "texas": ("US", "TX"), "florida": ("US", "FL"),
    "washington": ("US", "WA"), "illinois": ("US", "IL"), "delaware": ("US", "DE"), "ontario": ("CA", "ON"),
    "british columbia": ("CA", "BC"), "quebec": ("CA", "QC"), "alberta": ("CA", "AB"),
}

# City -> possible (country, region). Cities only count in location context ("based in", "City, Region").
CITIES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "Sydney": (("AU", "NSW"),), "Melbourne": (("AU", "VIC"),), "Brisbane": (("AU", "QLD"),),
    "Perth": (("AU", "WA"), ("GB", None)), "Adelaide": (("AU", "SA"),), "Hobart": (("AU", "TAS"),),
    "Canberra": (("AU", "ACT"),), "Darwin": (("AU", "NT"),), "Newcastle": (("AU", "NSW"), ("GB", None)),
    "Gold Coast": (("AU", "QLD"),), "Wollongong": (("AU", "NSW"),), "Geelong": (("AU", "VIC"),),
    "London": (("GB", None), ("CA", "ON")), "Manchester": (("GB", None),), "Birmingham": (("GB", None), ("US", "AL")),
    "Leeds": (("GB", None),), "Glasgow": (("GB", None),), "Edinburgh": (("GB", None),), "Bristol": (("GB", None),),
    "Liverpool": (("GB", None),), "Cardiff": (("GB", None),), "Belfast": (("GB", None),),
    "Reading": (("GB", None),),
    "New York": (("US", "NY"),), "Los Angeles": (("US", "CA"),), "San Francisco": (("US", "CA"),),
    "Chicago": (("US", "IL"),), "Austin": (("US", "TX"),), "Seattle": (("US", "WA"),), "Boston": (("US", "MA"),),
    "Miami": (("US", "FL"),), "Denver": (("US", "CO"),), "Portland": (("US", "OR"),),
    "Toronto": (("CA", "ON"),), "Vancouver": (("CA", "BC"),), "Montreal": (("CA", "QC"),), "Calgary": (("CA", "AB"),),
    "Ottawa": (("CA", "ON"),), "Auckland": (("NZ", None),), "Wellington": (("NZ", None),),
    "Christchurch": (("NZ", None),), "Dublin": (("IE", None),), "Cork": (("IE", None),), "Galway": (("IE", None),),
    "Berlin": (("DE", None),), "Munich": (("DE", None),), "München": (("DE", None),), "Hamburg": (("DE", None),),
    "Frankfurt": (("DE", None),), "Cologne": (("DE", None),), "Köln": (("DE", None),),
    "Paris": (("FR", None),), "Lyon": (("FR", None),), "Marseille": (("FR", None),), "Nice": (("FR", None),),
    "Mumbai": (("IN", None),), "Delhi": (("IN", None),), "New Delhi": (("IN", None),), "Bengaluru": (("IN", None),),
    "Bangalore": (("IN", None),), "Chennai": (("IN", None),), "Hyderabad": (("IN", None),), "Pune": (("IN", None),),
    "Singapore": (("SG", None),), "Johannesburg": (("ZA", None),), "Cape Town": (("ZA", None),),
    "Madrid": (("ES", None),), "Barcelona": (("ES", None),), "Rome": (("IT", None),), "Milan": (("IT", None),),
    "Amsterdam": (("NL", None),), "Rotterdam": (("NL", None),), "Tokyo": (("JP", None),), "Dubai": (("AE", None),),
}
