"""Invented tools for the generic tool-awareness set: no IDE's names, many shapes.

Each tool and each parameter comes with 2-4 name variants (fetch_invoice /
get_invoice; invoice_id / invoiceId), chosen per sample, so the model cannot
memorise names and must read them from the prompt, as the probe found. Values
come from small split lists; the held-out tools are never used in training.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hybridtools.ecosystems import vocabulary, web_vocabulary
from hybridtools.ecosystems.splits import Split, choose

ValueMaker = Callable[[random.Random, Split], Any]
Saying = Callable[[random.Random, Any], str]


@dataclass(frozen=True)
class InventedParam:
    key: str  # the template slot
    names: tuple[str, ...]  # name variants
    json_type: str  # string | integer | number | boolean | array
    make: ValueMaker
    required: bool = True
    enum: tuple[str, ...] = ()
    # How a request says the value; None = written as it is. A flag said in
    # words ("and mark it urgent") or left unsaid when false is a value the
    # request implies rather than spells, as IDE flags (run in the background,
    # needs approval) are.
    said: Saying | None = None


@dataclass(frozen=True)
class InventedTool:
    names: tuple[str, ...]
    description: str
    params: tuple[InventedParam, ...]
    templates: tuple[str, ...]
    # Keys drawn from one pool that must differ (a rename's old and new name),
    # phrased in both orders so the words, not the order, say which is which.
    distinct: tuple[str, ...] = ()


def _pool(salt: str, *items: str) -> ValueMaker:
    return lambda rng, split: choose(rng, items, f"invented:{salt}", split)


def _code(prefix: str, low: int = 1000, high: int = 99999) -> ValueMaker:
    return lambda rng, split: f"{prefix}{rng.randint(low, high)}"


def _integer(low: int, high: int) -> ValueMaker:
    return lambda rng, split: rng.randint(low, high)


def _amount(rng: random.Random, split: Split) -> float | int:
    value = rng.uniform(5, 2000)
    return round(value) if rng.random() < 0.5 else round(value, 2)


def _day(rng: random.Random, split: Split) -> str:
    return (date(2026, 1, 3) + timedelta(days=rng.randint(0, 360))).isoformat()


def _clock(rng: random.Random, split: Split) -> str:
    return f"{rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}"


_CITIES = _pool(
    "cities",
    "Berlin",
    "Lisbon",
    "Nairobi",
    "Toronto",
    "Osaka",
    "Austin",
    "Melbourne",
    "Lyon",
    "Bogota",
    "Oslo",
    "Seoul",
    "Cape Town",
    "Denver",
    "Porto",
    "Krakow",
)
_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "BRL", "INR", "SEK", "AUD")
_LANGUAGES = _pool(
    "languages",
    "German",
    "Spanish",
    "Japanese",
    "French",
    "Portuguese",
    "Korean",
    "Italian",
    "Dutch",
    "Polish",
    "Swahili",
)
_PHRASES = _pool(
    "phrases",
    "running 10 minutes late",
    "the build is green again",
    "lunch at noon?",
    "please call me back",
    "the deploy is done",
    "meeting moved to 3pm",
    "door code is 4821",
    "see you at the station",
    "package arrived",
    "on my way",
)
_SENTENCES = _pool(
    "sentences",
    "Where is the nearest train station?",
    "The invoice is overdue.",
    "Thanks for your help yesterday.",
    "Our office is closed on Friday.",
    "Please restart the router.",
    "The meeting starts at nine.",
    "Can we move the demo to Tuesday?",
    "Your order has shipped.",
)
_PEOPLE = _pool(
    "people",
    "ana@example.com",
    "raj@example.com",
    "lee@example.com",
    "sofia@example.com",
    "omar@example.com",
    "kim@example.com",
    "ines@example.com",
    "jon@example.com",
)
_NAMES = _pool(
    "names",
    "Maria Lopez",
    "Dev Kim",
    "Sam Okafor",
    "Li Wei",
    "Anna Schmidt",
    "Tom Nguyen",
    "Fatima Ali",
    "Jonas Berg",
)
_PACKAGES = _pool(
    "packages",
    "requests",
    "lodash",
    "serde",
    "numpy",
    "express",
    "tokio",
    "pydantic",
    "react",
    "axios",
    "clap",
)
_HOSTS = _pool(
    "hosts",
    "db-1.internal",
    "api.example.com",
    "10.0.3.17",
    "cache-2.internal",
    "build.example.org",
    "192.168.1.20",
)
_SERVICES = _pool(
    "services",
    "checkout-api",
    "search-worker",
    "billing",
    "auth-service",
    "notifications",
    "image-resizer",
    "gateway",
)
_SYMBOLS = _pool("symbols", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "SAP", "ASML", "SHOP")
_SONGS = _pool(
    "songs",
    "Blue in Green",
    "Clair de Lune",
    "Heroes",
    "Harvest Moon",
    "Teardrop",
    "Windowlicker",
    "Hyperballad",
)
_ARTISTS = _pool(
    "artists",
    "Miles Davis",
    "Debussy",
    "David Bowie",
    "Neil Young",
    "Massive Attack",
    "Aphex Twin",
    "Bjork",
)
_RESTAURANTS = _pool(
    "restaurants",
    "Luigi's",
    "The Green Fork",
    "Sakura House",
    "Casa Lola",
    "Blue Door Bistro",
    "Noodle Bar 21",
)
_ROOMS = _pool("rooms", "living room", "office", "bedroom", "kitchen", "nursery")
_TIMER_LABELS = _pool("timer_labels", "tea", "pasta", "standup", "focus", "laundry", "pomodoro")
_CHANNELS = _pool(
    "channels", "#general", "#deploys", "#random", "#team-web", "#incidents", "#design"
)
_WORDS = _pool(
    "words",
    "ephemeral",
    "idempotent",
    "serendipity",
    "ubiquitous",
    "laconic",
    "quixotic",
    "sonder",
    "petrichor",
)
_BUCKETS = _pool(
    "buckets", "s3://team-backups", "s3://media-uploads", "gs://exports-eu", "s3://logs-archive"
)
_LABELS = _pool(
    "labels",
    "draft",
    "todo",
    "backlog",
    "wip",
    "blocked",
    "needs-review",
    "q3-plan",
    "triage",
    "icebox",
    "hotfix",
    "later",
    "ops",
)
_INGREDIENTS = _pool(
    "ingredients",
    "butter",
    "olive oil",
    "sugar",
    "honey",
    "milk",
    "oat milk",
    "cream",
    "yogurt",
    "rice",
    "quinoa",
    "tofu",
    "almond flour",
)
_DATABASES = _pool("databases", "orders", "users", "analytics", "billing", "inventory", "auth")
_SUBJECTS = _pool(
    "subjects",
    "Q3 budget",
    "release notes",
    "team offsite",
    "invoice reminder",
    "server migration",
    "onboarding plan",
    "holiday rota",
    "design review",
)
_REPORTS = _pool(
    "reports", "monthly sales", "open tickets", "user signups", "expenses", "stock levels"
)


def _path(rng: random.Random, split: Split) -> str:
    return vocabulary.any_file_path(rng, split)


def _image(rng: random.Random, split: Split) -> str:
    name = vocabulary.entity(rng, split)
    kind = rng.choice(("hero", "banner", "avatar", "logo"))
    return f"assets/{name}-{kind}.{rng.choice(('png', 'jpg'))}"


def _url(rng: random.Random, split: Split) -> str:
    return web_vocabulary.url(rng, split)


def _people(rng: random.Random, split: Split) -> list[str]:
    people: list[str] = []
    while len(people) < rng.randint(1, 3):
        person = _PEOPLE(rng, split)
        if person not in people:
            people.append(person)
    return people


def _flag(
    key: str, names: tuple[str, ...], on: tuple[str, ...], off: tuple[str, ...]
) -> InventedParam:
    """A required boolean said by words: `on` when true, `off` (often "": unsaid) when false."""
    return InventedParam(
        key,
        names,
        "boolean",
        lambda rng, split: rng.random() < 0.5,
        said=lambda rng, value: rng.choice(on if value else off),
    )


def _param(
    key: str, names: tuple[str, ...], json_type: str, make: ValueMaker, **extra: Any
) -> InventedParam:
    return InventedParam(key, names, json_type, make, **extra)


TRAIN_TOOLS: tuple[InventedTool, ...] = (
    InventedTool(
        ("fetch_invoice", "get_invoice", "load_invoice"),
        "Fetch an invoice by its id.",
        (_param("invoice_id", ("invoice_id", "invoiceId", "id"), "string", _code("INV-")),),
        (
            "pull up invoice {invoice_id}",
            "show me invoice {invoice_id}",
            "I need the details of invoice {invoice_id}",
            "get invoice {invoice_id}",
            "what's on invoice {invoice_id}?",
            "open invoice {invoice_id} please",
        ),
    ),
    InventedTool(
        ("send_sms", "send_text_message", "sms_send"),
        "Send a text message to a phone number.",
        (
            _param(
                "phone",
                ("phone", "phone_number", "to"),
                "string",
                lambda rng, split: f"+1 415 555 {rng.randint(1000, 9999)}",
            ),
            _param("message", ("message", "text", "body"), "string", _PHRASES),
        ),
        (
            "text {phone}: {message}",
            "send an SMS to {phone} saying {message}",
            'message {phone} with "{message}"',
            "sms {phone} - {message}",
            "let {phone} know: {message}",
            "shoot a text to {phone}: {message}",
        ),
    ),
    InventedTool(
        ("get_weather", "weather_lookup", "fetch_forecast"),
        "Current weather for a city.",
        (
            _param("city", ("city", "location"), "string", _CITIES),
            _param(
                "units",
                ("units", "unit"),
                "string",
                _pool("units", "metric", "imperial"),
                required=False,
                enum=("metric", "imperial"),
            ),
        ),
        (
            "what's the weather in {city}?",
            "weather for {city} in {units} units",
            "is it raining in {city}? use {units}",
            "forecast for {city}",
            "how warm is it in {city} ({units})?",
            "check the weather in {city}",
        ),
    ),
    InventedTool(
        ("convert_currency", "currency_convert", "fx_convert"),
        "Convert an amount between currencies.",
        (
            _param("amount", ("amount", "value"), "number", _amount),
            _param(
                "from_currency",
                ("from_currency", "source_currency", "from"),
                "string",
                lambda rng, split: rng.choice(_CURRENCIES),
            ),
            _param(
                "to_currency",
                ("to_currency", "target_currency", "to"),
                "string",
                lambda rng, split: rng.choice(_CURRENCIES),
            ),
        ),
        (
            "convert {amount} {from_currency} to {to_currency}",
            "how much is {amount} {from_currency} in {to_currency}?",
            "{amount} {from_currency} -> {to_currency}",
            "change {amount} {from_currency} into {to_currency}",
            "what do I get in {to_currency} for {amount} {from_currency}?",
            "exchange {amount} {from_currency} for {to_currency}",
        ),
    ),
    InventedTool(
        ("translate_text", "translate", "text_translate"),
        "Translate text into another language.",
        (
            _param("text", ("text", "source_text"), "string", _SENTENCES),
            _param("language", ("target_language", "to_lang", "target_lang"), "string", _LANGUAGES),
        ),
        (
            'translate "{text}" into {language}',
            'how do you say "{text}" in {language}?',
            "put this in {language}: {text}",
            "{language} translation of: {text}",
            "translate to {language}: {text}",
            'I need "{text}" in {language}',
        ),
    ),
    InventedTool(
        ("resize_image", "image_resize", "scale_image"),
        "Resize an image file.",
        (
            _param("path", ("path", "image_path", "file"), "string", _image),
            _param("width", ("width", "w"), "integer", _integer(64, 2400)),
            _param("height", ("height", "h"), "integer", _integer(64, 2400)),
        ),
        (
            "resize {path} to {width}x{height}",
            "make {path} {width} by {height}",
            "scale {path} to width {width}, height {height}",
            "shrink {path} down to {width}x{height} pixels",
            "{path} should be {width}x{height}",
            "change the size of {path} to {width} x {height}",
        ),
    ),
    InventedTool(
        ("schedule_meeting", "create_meeting", "book_meeting"),
        "Schedule a meeting.",
        (
            _param(
                "title",
                ("title", "subject"),
                "string",
                _pool(
                    "meeting_titles",
                    "Sprint planning",
                    "Design review",
                    "1:1",
                    "Budget sync",
                    "Postmortem",
                    "Roadmap chat",
                    "Hiring debrief",
                ),
            ),
            _param("date", ("date", "day"), "string", _day),
            _param("attendees", ("attendees", "participants"), "array", _people),
        ),
        (
            "schedule {title} on {date} with {attendees}",
            'book a meeting "{title}" for {date}, invite {attendees}',
            "set up {title} on {date} with {attendees}",
            "meeting: {title}, {date}, people: {attendees}",
            "put {title} in the calendar for {date} with {attendees}",
            "can we have {title} on {date}? invite {attendees}",
        ),
    ),
    InventedTool(
        ("lookup_package", "package_info", "get_package"),
        "Look up a package in a registry.",
        (
            _param("name", ("name", "package", "package_name"), "string", _PACKAGES),
            _param(
                "registry",
                ("registry", "ecosystem"),
                "string",
                _pool("registries", "npm", "pypi", "crates"),
                enum=("npm", "pypi", "crates"),
            ),
        ),
        (
            "look up {name} on {registry}",
            "what's the latest {name} on {registry}?",
            "package info for {name} ({registry})",
            "check {registry} for {name}",
            "find {name} in the {registry} registry",
            "details of {name} from {registry}",
        ),
    ),
    InventedTool(
        ("create_reminder", "set_reminder", "add_reminder"),
        "Create a reminder at a time.",
        (
            _param("text", ("text", "note"), "string", _PHRASES),
            _param("time", ("time", "at"), "string", _clock),
        ),
        (
            "remind me at {time}: {text}",
            "set a reminder for {time} - {text}",
            "at {time} remind me that {text}",
            "reminder {time}: {text}",
            "don't let me forget at {time}: {text}",
            "ping me at {time} about {text}",
        ),
    ),
    InventedTool(
        ("query_database", "run_sql", "db_query"),
        "Run a read-only SQL query.",
        (
            _param(
                "sql",
                ("sql", "query"),
                "string",
                lambda rng, split: vocabulary.fill(
                    rng.choice(
                        (
                            "SELECT count(*) FROM §s",
                            "SELECT * FROM §s LIMIT 10",
                            "SELECT id, status FROM §s WHERE status = 'open'",
                        )
                    ),
                    vocabulary.entity(rng, split),
                ),
            ),
            _param(
                "database",
                ("database", "db"),
                "string",
                _pool("databases", "analytics", "prod_replica", "staging", "warehouse"),
            ),
        ),
        (
            "run {sql} on {database}",
            "query {database}: {sql}",
            "execute {sql} against {database}",
            "on the {database} db run {sql}",
            "what does {sql} return in {database}?",
            "use {database} and run {sql}",
        ),
    ),
    InventedTool(
        ("ping_host", "check_host", "host_ping"),
        "Ping a host a number of times.",
        (
            _param("host", ("host", "hostname"), "string", _HOSTS),
            _param("count", ("count", "times"), "integer", _integer(1, 20), required=False),
        ),
        (
            "ping {host} {count} times",
            "is {host} up? ping it {count} times",
            "check {host} with {count} pings",
            "send {count} pings to {host}",
            "ping {host}, count {count}",
            "can you reach {host}? try {count} pings",
        ),
    ),
    InventedTool(
        ("compress_folder", "zip_directory", "archive_dir"),
        "Zip a folder into an archive.",
        (
            _param(
                "source",
                ("source", "folder", "dir"),
                "string",
                lambda rng, split: vocabulary.directory(rng, split),
            ),
            _param(
                "output",
                ("output", "destination", "target"),
                "string",
                lambda rng, split: f"{vocabulary.entity(rng, split)}-backup.zip",
            ),
        ),
        (
            "zip {source} into {output}",
            "compress {source} as {output}",
            "archive {source} to {output}",
            "make {output} from {source}",
            "pack {source} into {output}",
            "create {output} containing {source}",
        ),
    ),
    InventedTool(
        ("search_contacts", "find_contact", "contact_search"),
        "Search the address book.",
        (_param("query", ("query", "name"), "string", _NAMES),),
        (
            "find {query} in my contacts",
            "look up {query}",
            "what's {query}'s number?",
            "search contacts for {query}",
            "do I have {query} saved?",
            "contact details for {query}",
        ),
    ),
    InventedTool(
        ("get_stock_price", "stock_quote", "fetch_quote"),
        "Latest price of a stock.",
        (_param("symbol", ("symbol", "ticker"), "string", _SYMBOLS),),
        (
            "price of {symbol}",
            "how is {symbol} trading?",
            "quote for {symbol}",
            "what's {symbol} at right now?",
            "check the {symbol} stock price",
            "{symbol} price?",
        ),
    ),
    InventedTool(
        ("start_timer", "timer_start", "set_timer"),
        "Start a countdown timer.",
        (
            _param("minutes", ("minutes", "duration_minutes"), "integer", _integer(1, 90)),
            _param("label", ("label", "name"), "string", _TIMER_LABELS),
        ),
        (
            "set a {minutes} minute timer for {label}",
            "timer: {minutes} min, {label}",
            "start a {label} timer for {minutes} minutes",
            "count down {minutes} minutes ({label})",
            "{minutes} minutes on the clock for {label}",
            "time {label}: {minutes} minutes",
        ),
    ),
    InventedTool(
        ("post_message", "chat_post", "send_chat"),
        "Post a message to a chat channel.",
        (
            _param("channel", ("channel", "room"), "string", _CHANNELS),
            _param("text", ("text", "message"), "string", _PHRASES),
        ),
        (
            'post "{text}" in {channel}',
            "tell {channel} {text}",
            "send to {channel}: {text}",
            "write in {channel}: {text}",
            "let {channel} know {text}",
            "{channel}: {text}",
        ),
    ),
    InventedTool(
        ("restart_service", "service_restart", "bounce_service"),
        "Restart a service.",
        (
            _param("service", ("service", "service_name"), "string", _SERVICES),
            _param(
                "environment",
                ("environment", "env"),
                "string",
                _pool("environments", "staging", "dev", "qa"),
                enum=("dev", "qa", "staging"),
            ),
        ),
        (
            "restart {service} on {environment}",
            "bounce {service} in {environment}",
            "{service} is stuck on {environment}, restart it",
            "reboot {service} ({environment})",
            "kick {service} in {environment}",
            "restart the {environment} {service}",
        ),
    ),
    InventedTool(
        ("fetch_logs", "get_logs", "tail_logs"),
        "Fetch recent log lines of a service.",
        (
            _param("service", ("service", "app"), "string", _SERVICES),
            _param("lines", ("lines", "limit"), "integer", _integer(20, 500)),
        ),
        (
            "show the last {lines} log lines of {service}",
            "get {lines} lines of logs from {service}",
            "tail {service} logs, {lines} lines",
            "what did {service} log? last {lines} lines",
            "{service} logs, {lines} lines please",
            "fetch {lines} log lines for {service}",
        ),
    ),
    InventedTool(
        ("shorten_url", "url_shorten", "make_short_link"),
        "Create a short link.",
        (_param("url", ("url", "long_url"), "string", _url),),
        (
            "shorten {url}",
            "make a short link for {url}",
            "short url for {url}",
            "give me a tiny link to {url}",
            "compress the link {url}",
            "shortlink {url}",
        ),
    ),
    InventedTool(
        ("generate_password", "password_generate", "new_password"),
        "Generate a random password.",
        (
            _param("length", ("length", "size"), "integer", _integer(12, 64)),
            _param(
                "symbols",
                ("symbols", "include_symbols"),
                "boolean",
                lambda rng, split: rng.random() < 0.5,
            ),
        ),
        (
            "generate a {length} character password, symbols {symbols}",
            "new password: length {length}, symbols {symbols}",
            "make me a password of {length} chars (symbols: {symbols})",
            "random password, {length} long, symbols {symbols}",
            "I need a {length}-char password, symbols {symbols}",
            "password with length {length} and symbols set to {symbols}",
        ),
    ),
    InventedTool(
        ("track_package", "package_status", "shipment_track"),
        "Track a parcel.",
        (
            _param(
                "tracking_number",
                ("tracking_number", "trackingId"),
                "string",
                _code("1Z", 100000, 999999),
            ),
            _param(
                "carrier",
                ("carrier", "shipper"),
                "string",
                _pool("carriers", "ups", "fedex", "dhl", "usps"),
                enum=("dhl", "fedex", "ups", "usps"),
            ),
        ),
        (
            "where is my {carrier} package {tracking_number}?",
            "track {tracking_number} with {carrier}",
            "status of {carrier} shipment {tracking_number}",
            "{carrier} tracking {tracking_number}",
            "has {tracking_number} ({carrier}) arrived?",
            "follow parcel {tracking_number} on {carrier}",
        ),
    ),
    InventedTool(
        ("set_thermostat", "thermostat_set", "adjust_heating"),
        "Set a room's temperature.",
        (
            _param("temperature", ("temperature", "temp"), "number", _integer(16, 26)),
            _param("room", ("room", "zone"), "string", _ROOMS),
        ),
        (
            "set the {room} to {temperature} degrees",
            "make the {room} {temperature}C",
            "{room} thermostat to {temperature}",
            "heat the {room} to {temperature}",
            "I want {temperature} degrees in the {room}",
            "change {room} temperature to {temperature}",
        ),
    ),
    InventedTool(
        ("play_song", "music_play", "play_track"),
        "Play a song.",
        (
            _param("song", ("song", "title", "track"), "string", _SONGS),
            _param("artist", ("artist", "by"), "string", _ARTISTS),
        ),
        (
            "play {song} by {artist}",
            "put on {song} from {artist}",
            "I want to hear {artist}'s {song}",
            "queue {song} ({artist})",
            "music: {song} by {artist}",
            "start {song}, {artist}",
        ),
    ),
    InventedTool(
        ("book_table", "reserve_table", "restaurant_book"),
        "Reserve a restaurant table.",
        (
            _param("restaurant", ("restaurant", "venue"), "string", _RESTAURANTS),
            _param("party_size", ("party_size", "guests"), "integer", _integer(1, 10)),
            _param("time", ("time", "at"), "string", _clock),
        ),
        (
            "book {restaurant} for {party_size} at {time}",
            "table for {party_size} at {restaurant}, {time}",
            "reserve {restaurant} at {time} for {party_size} people",
            "get us a table at {restaurant}, {party_size} guests, {time}",
            "{restaurant}, {time}, party of {party_size}",
            "can we eat at {restaurant} at {time}? {party_size} of us",
        ),
    ),
    InventedTool(
        ("upload_file", "file_upload", "put_object"),
        "Upload a file to a storage bucket.",
        (
            _param("path", ("path", "local_path"), "string", _path),
            _param("bucket", ("bucket", "destination"), "string", _BUCKETS),
        ),
        (
            "upload {path} to {bucket}",
            "put {path} in {bucket}",
            "copy {path} up to {bucket}",
            "send {path} to the bucket {bucket}",
            "store {path} in {bucket}",
            "push {path} to {bucket}",
        ),
    ),
    InventedTool(
        ("define_word", "lookup_word", "dictionary_lookup"),
        "Dictionary definition of a word.",
        (_param("word", ("word", "term"), "string", _WORDS),),
        (
            "define {word}",
            "what does {word} mean?",
            "dictionary: {word}",
            "meaning of {word}",
            "look up the word {word}",
            "{word} - definition?",
        ),
    ),
    InventedTool(
        ("rotate_api_key", "api_key_rotate", "regenerate_key"),
        "Rotate an API key.",
        (_param("key_id", ("key_id", "keyId"), "string", _code("key_", 100000, 999999)),),
        (
            "rotate {key_id}",
            "regenerate the api key {key_id}",
            "{key_id} leaked, rotate it",
            "issue a new secret for {key_id}",
            "roll key {key_id}",
            "rotate the key {key_id} now",
        ),
    ),
    InventedTool(
        ("count_words", "word_count", "text_stats"),
        "Count the words in a text.",
        (_param("text", ("text", "content"), "string", _SENTENCES),),
        (
            'how many words in "{text}"?',
            "count the words: {text}",
            "word count of {text}",
            "number of words in: {text}",
            'count words in "{text}"',
            "words in this: {text}",
        ),
    ),
    InventedTool(
        ("rename_tag", "relabel", "rename_label"),
        "Rename a tag on every item that carries it.",
        (
            _param("old", ("old_name", "from_name", "current_name"), "string", _LABELS),
            _param("new", ("new_name", "to_name", "rename_to"), "string", _LABELS),
        ),
        (
            "rename the tag {old} to {new}",
            "call the {old} tag {new} from now on",
            "use {new} in place of {old} as the tag",
            "relabel everything tagged {old} as {new}",
            "the {old} label should read {new}",
            "{new}, not {old}, is the tag we want",
            "swap the tag {old} out for {new}",
            "tag name {new} instead of {old}",
            "change the {old} tag to {new}",
            "we say {new} now, so rename {old}",
        ),
        distinct=("old", "new"),
    ),
    InventedTool(
        ("move_meeting", "reschedule_meeting", "shift_event"),
        "Move a meeting from one start time to another.",
        (
            _param("old", ("from_time", "current_time", "start"), "string", _clock),
            _param("new", ("to_time", "new_time", "target_time"), "string", _clock),
        ),
        (
            "move my {old} meeting to {new}",
            "{new} suits me better than {old} for the sync",
            "reschedule the {old} call to {new}",
            "book it at {new} instead of {old}",
            "push the {old} slot to {new}",
            "not {old}: make the meeting {new}",
            "shift the meeting at {old} so it starts at {new}",
            "can the {old} meeting start at {new}?",
            "let's meet at {new} rather than {old}",
            "the {old} meeting is now at {new}",
        ),
        distinct=("old", "new"),
    ),
    InventedTool(
        ("swap_ingredient", "substitute_ingredient", "replace_ingredient"),
        "Replace one ingredient of the saved recipe with another.",
        (
            _param("old", ("ingredient", "remove", "original"), "string", _INGREDIENTS),
            _param("new", ("substitute", "replacement", "use_instead"), "string", _INGREDIENTS),
        ),
        (
            "swap the {old} for {new} in the recipe",
            "use {new} instead of {old}",
            "replace {old} with {new}",
            "substitute {new} for {old}",
            "take out the {old} and put in {new}",
            "I'm out of {old}, use {new}",
            "make it with {new}, not {old}",
            "{new} in place of the {old}, please",
            "change {old} to {new} in that recipe",
            "go with {new} over {old}",
        ),
        distinct=("old", "new"),
    ),
    InventedTool(
        ("backup_database", "db_backup", "snapshot_database"),
        "Back up a database.",
        (
            _param("database", ("database", "db_name"), "string", _DATABASES),
            _flag(
                "compress",
                ("compress", "gzip"),
                on=("compressed", "and compress it", "as a zipped file"),
                off=("", "", "uncompressed", "without compression"),
            ),
        ),
        (
            "back up the {database} database {compress}",
            "snapshot {database} {compress}",
            "take a backup of {database} {compress}",
            "{database} db backup {compress}",
            "save a copy of {database} {compress}",
            "make a {database} backup {compress} before the migration",
            "can you back up {database} {compress}?",
            "I need {database} backed up {compress}",
        ),
    ),
    InventedTool(
        ("mail_send", "compose_mail", "email_message"),
        "Send an email.",
        (
            _param("to", ("to", "recipient"), "string", _PEOPLE),
            _param("subject", ("subject", "title"), "string", _SUBJECTS),
            _flag(
                "urgent",
                ("urgent", "high_priority"),
                on=("and mark it urgent", "as high priority", "flagged important"),
                off=("", "", "no rush", "at normal priority"),
            ),
        ),
        (
            "email {to} about {subject} {urgent}",
            "send {to} a mail titled {subject} {urgent}",
            "mail {to} re: {subject} {urgent}",
            "write to {to} with the subject {subject} {urgent}",
            "drop {to} a note on {subject} {urgent}",
            "email {to}: {subject}, {urgent}",
            "let {to} know about {subject} by mail {urgent}",
            "can you email {to} about {subject} {urgent}?",
        ),
    ),
    InventedTool(
        ("export_report", "report_export", "download_report"),
        "Export a report as a spreadsheet.",
        (
            _param("report", ("report", "report_name"), "string", _REPORTS),
            _flag(
                "archived",
                ("include_archived", "with_archived"),
                on=("including archived entries", "with the archived ones too"),
                off=("", "", "active entries only", "skip the archived rows"),
            ),
        ),
        (
            "export the {report} report {archived}",
            "download {report} {archived}",
            "I want the {report} report as a spreadsheet, {archived}",
            "get me {report} {archived}",
            "pull the {report} numbers {archived}",
            "{report} export {archived}",
            "can I have the {report} report {archived}?",
            "spreadsheet of {report}, {archived}",
        ),
    ),
)

HELD_OUT_TOOLS: tuple[InventedTool, ...] = (
    InventedTool(
        ("order_pizza", "pizza_order"),
        "Order a pizza for delivery.",
        (
            _param(
                "size",
                ("size", "pizza_size"),
                "string",
                _pool("sizes", "small", "medium", "large"),
                enum=("small", "medium", "large"),
            ),
            _param(
                "address",
                ("address", "deliver_to"),
                "string",
                _pool("addresses", "12 Elm Street", "4 Harbour Road", "77 King Ave"),
            ),
        ),
        (
            "order a {size} pizza to {address}",
            "get a {size} pizza delivered to {address}",
            "{size} pizza, deliver to {address}",
            "pizza time: {size}, {address}",
        ),
    ),
    InventedTool(
        ("check_flight", "flight_status"),
        "Status of a flight on a date.",
        (
            _param("flight", ("flight", "flight_number"), "string", _code("LH", 100, 999)),
            _param("date", ("date", "day"), "string", _day),
        ),
        (
            "is {flight} on time on {date}?",
            "status of flight {flight} for {date}",
            "check {flight} on {date}",
            "has {flight} been delayed on {date}?",
        ),
    ),
    InventedTool(
        ("create_poll", "poll_create"),
        "Create a poll with options.",
        (
            _param(
                "question",
                ("question", "prompt"),
                "string",
                _pool("polls", "Lunch place?", "Retro day?", "Offsite city?"),
            ),
            _param(
                "options",
                ("options", "choices"),
                "array",
                lambda rng, split: rng.sample(["Monday", "Tuesday", "Thursday", "Friday"], 2),
            ),
        ),
        (
            'make a poll "{question}" with {options}',
            "poll: {question} options {options}",
            "ask the team {question} - {options}",
            "start a poll {question}, choices {options}",
        ),
    ),
    InventedTool(
        ("lock_door", "door_lock"),
        "Lock a smart door.",
        (
            _param(
                "door",
                ("door", "door_name"),
                "string",
                _pool("doors", "front door", "garage", "back door", "shed"),
            ),
        ),
        ("lock the {door}", "is the {door} locked? lock it", "secure the {door}", "{door}: lock"),
    ),
    InventedTool(
        ("convert_units", "unit_convert"),
        "Convert a value between units.",
        (
            _param("value", ("value", "amount"), "number", _integer(1, 500)),
            _param(
                "from_unit",
                ("from_unit", "source_unit"),
                "string",
                _pool("units_from", "miles", "pounds", "feet", "gallons"),
            ),
            _param(
                "to_unit",
                ("to_unit", "target_unit"),
                "string",
                _pool("units_to", "kilometers", "kilograms", "meters", "liters"),
            ),
        ),
        (
            "convert {value} {from_unit} to {to_unit}",
            "{value} {from_unit} in {to_unit}?",
            "how many {to_unit} is {value} {from_unit}?",
            "change {value} {from_unit} into {to_unit}",
        ),
    ),
    InventedTool(
        ("scan_ports", "port_scan"),
        "Scan a host's open ports.",
        (
            _param("host", ("host", "target"), "string", _HOSTS),
            _param("max_port", ("max_port", "port_limit"), "integer", _integer(100, 9000)),
        ),
        (
            "scan {host} up to port {max_port}",
            "which ports are open on {host}? stop at {max_port}",
            "port scan {host}, max {max_port}",
            "check open ports of {host} below {max_port}",
        ),
    ),
    InventedTool(
        ("archive_email", "email_archive"),
        "Archive an email by id.",
        (_param("message_id", ("message_id", "messageId"), "string", _code("msg-", 10000, 99999)),),
        (
            "archive {message_id}",
            "move email {message_id} to the archive",
            "file away message {message_id}",
            "archive the mail {message_id}",
        ),
    ),
    InventedTool(
        ("measure_latency", "latency_check"),
        "Measure a URL's response time.",
        (
            _param("url", ("url", "endpoint"), "string", _url),
            _param("samples", ("samples", "tries"), "integer", _integer(3, 50)),
        ),
        (
            "measure latency of {url} over {samples} requests",
            "how fast is {url}? {samples} samples",
            "time {url} {samples} times",
            "latency check {url}, {samples} tries",
        ),
    ),
)
