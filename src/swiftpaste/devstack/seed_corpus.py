"""Snippets that look like what people paste, for `swiftpaste seed` and `just bench search`.

Ten programming languages and prose, each snippet about one topic, its identifiers in its
language's own style (`get_user_by_id`, `getUserById`, `GetUserByID`).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

VERBS = (
    "get", "set", "load", "save", "parse", "render", "build", "fetch", "update", "delete",
    "create", "validate", "compute", "merge", "sort", "filter", "find", "send", "read", "write",
    "encode", "decode", "hash", "retry", "schedule", "normalize", "serialize", "resolve",
    "register", "handle", "process", "convert", "format", "flush", "drain", "connect",
    "authenticate", "authorize", "refresh", "invalidate", "compress", "upload", "download",
    "sync", "export", "import", "index", "search", "count", "split", "join", "map", "reduce",
    "publish", "subscribe", "migrate", "watch", "throttle", "debounce", "memoize",
)  # fmt: skip
NOUNS = (
    "user", "order", "invoice", "session", "token", "cache", "config", "payload", "message",
    "record", "item", "matrix", "graph", "node", "tree", "queue", "stack", "file", "path",
    "image", "request", "response", "event", "metric", "account", "profile", "customer",
    "product", "cart", "payment", "refund", "address", "email", "password", "report", "chart",
    "table", "column", "row", "query", "index", "schema", "migration", "backup", "snapshot",
    "bucket", "blob", "stream", "buffer", "socket", "connection", "pool", "worker", "job",
    "task", "timer", "deadline", "lock", "mutex", "channel", "topic", "partition", "offset",
    "consumer", "producer", "broker", "route", "handler", "middleware", "cookie", "header",
    "body", "form", "field", "widget", "button", "modal", "tooltip", "layout", "theme",
    "color", "font", "icon", "avatar", "comment", "post", "thread", "reply", "vote", "tag",
    "category", "slug", "locale", "currency", "price", "discount", "coupon", "shipment",
    "warehouse", "inventory", "sensor", "reading", "device", "firmware", "packet", "frame",
    "pixel", "sprite", "texture", "shader", "vertex", "mesh", "camera", "scene", "player",
    "score", "level", "board", "tile", "vector", "point", "polygon", "histogram", "sample",
)  # fmt: skip
QUALIFIERS = (
    "by_id", "by_name", "from_file", "to_json", "from_json", "async", "batch", "all",
    "if_needed", "with_retry", "for_user", "in_place", "or_default", "by_email", "list",
)  # fmt: skip
# One topic per snippet: a topic word (`fibonacci`) is rare in the corpus, a verb or noun
# of the identifiers (`parse`, `user`) common; the search benchmark's queries need both.
TOPICS = (
    "fibonacci numbers", "quicksort", "merge sort", "binary search", "dijkstra shortest path",
    "breadth-first search", "depth-first search", "topological sort", "union find",
    "trie autocomplete", "LRU cache", "bloom filter", "consistent hashing", "rate limiter",
    "token bucket", "exponential backoff", "circuit breaker", "retry with jitter",
    "debounce and throttle", "memoization", "dynamic programming", "knapsack problem",
    "longest common subsequence", "edit distance", "matrix multiplication", "prime sieve",
    "gcd and lcm", "big integer arithmetic", "base64 encoding", "utf-8 decoding",
    "json parsing", "yaml config loader", "csv export", "xml to json", "protobuf schema",
    "http server", "http client", "websocket chat", "server-sent events", "graphql resolver",
    "rest api pagination", "jwt authentication", "oauth2 login", "password hashing",
    "session cookies", "cors headers", "csrf protection", "input validation",
    "sql injection prevention", "database connection pool", "database migration",
    "postgres full-text search", "redis cache", "redis pub/sub", "kafka consumer",
    "kafka producer", "rabbitmq worker", "celery task", "cron schedule", "background jobs",
    "thread pool", "async await", "goroutines and channels", "mutex and locks",
    "deadlock detection", "file watcher", "log rotation", "structured logging",
    "prometheus metrics", "health checks", "graceful shutdown", "signal handling",
    "command line parser", "environment variables", "dotenv loading", "docker compose",
    "kubernetes deployment", "nginx reverse proxy", "tls certificates", "ssh tunnel",
    "git hooks", "bash script", "makefile targets", "unit testing", "property-based testing",
    "mocking http", "benchmarking", "profiling memory", "image resizing", "thumbnail generator",
    "pdf report", "email templates", "markdown renderer", "syntax highlighting",
    "regex cheatsheet", "date and time zones", "currency formatting", "i18n translations",
    "shopping cart", "invoice generator", "payment webhook", "inventory tracking",
    "order fulfillment", "user registration", "password reset", "two-factor auth",
    "avatar upload", "s3 presigned urls", "image cdn", "react hooks", "vue component",
    "svelte store", "css grid layout", "dark mode theme", "form validation",
    "infinite scroll", "drag and drop", "canvas animation", "webgl shader", "game loop",
    "collision detection", "pathfinding a-star", "sudoku solver", "tic tac toe",
    "chess move generator", "conway game of life", "mandelbrot set", "fft signal",
    "linear regression", "k-means clustering", "neural network", "tokenizer",
    "sentiment analysis", "web scraper", "rss reader", "url shortener", "pastebin clone",
    "chat bot", "slack webhook", "discord bot", "telegram bot", "sensor telemetry",
    "mqtt client", "serial port", "raspberry pi gpio", "firmware update", "bluetooth scan",
)  # fmt: skip
PROSE_WORDS = (
    "the", "a", "this", "that", "we", "it", "is", "are", "was", "be", "to", "of", "and",
    "in", "for", "on", "with", "when", "then", "but", "not", "only", "every", "each", "so",
    "because", "after", "before", "while", "until", "once", "again", "just", "still",
    "note", "remember", "todo", "fix", "bug", "works", "fails", "slow", "fast", "simple",
    "clean", "idea", "approach", "solution", "problem", "example", "version", "release",
    "team", "meeting", "deploy", "production", "staging", "review", "design", "plan",
    "question", "answer", "why", "how", "what", "maybe", "probably", "definitely", "later",
    "today", "tomorrow", "yesterday", "monday", "friday", "customer", "support", "ticket",
)  # fmt: skip
LANGUAGES = (
    "python",
    "javascript",
    "typescript",
    "go",
    "rust",
    "java",
    "sql",
    "bash",
    "ruby",
    "c",
    "markdown",
    None,
)
"""Languages in rotation; `markdown` and None are prose (notes, READMEs, logs)."""

OFF_TOPIC_BLOCKS = 0.1
MIN_CHARS = 200
MAX_CHARS = 4000


@dataclass(frozen=True, slots=True)
class SeedSnippet:
    title: str
    content: str
    language: str | None


def _words(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(VERBS), rng.choice(NOUNS), rng.choice(QUALIFIERS)


def _snake(parts: list[str]) -> str:
    return "_".join(parts)


def _camel(parts: list[str]) -> str:
    return parts[0] + "".join(part.capitalize() for part in parts[1:])


def _pascal(parts: list[str]) -> str:
    return "".join(part.upper() if part in {"id", "url", "json"} else part.capitalize()
                   for part in parts)  # fmt: skip


def _identifier(rng: random.Random, style: Callable[[list[str]], str]) -> str:
    verb, noun, qualifier = _words(rng)
    parts = [verb, noun]
    if rng.random() < 0.4:  # noqa: PLR2004
        parts += qualifier.split("_")
    return style(parts)


def _topic_words(topic: str) -> list[str]:
    return topic.replace("-", " ").replace("/", " ").split()


def _python(rng: random.Random, topic: str) -> str:
    name = _identifier(rng, _snake)
    noun = rng.choice(NOUNS)
    helper = _identifier(rng, _snake)
    words = "_".join(_topic_words(topic))[:40]
    return (
        f"def {name}({noun}, *, retries=3):\n"
        f'    """{topic.capitalize()}: {rng.choice(VERBS)} the {noun} and {rng.choice(VERBS)}'
        f' its {rng.choice(NOUNS)}."""\n'
        f"    result = {helper}({noun})\n"
        f"    for attempt in range(retries):\n"
        f"        if result.{rng.choice(NOUNS)}_{rng.choice(NOUNS)} is None:\n"
        f"            result = {words}(result, attempt)\n"
        f"    return result\n\n"
    )


def _javascript(rng: random.Random, topic: str) -> str:
    name = _identifier(rng, _camel)
    noun = rng.choice(NOUNS)
    return (
        f"// {topic}\n"
        f"export async function {name}({noun}, options = {{}}) {{\n"
        f"  const {_identifier(rng, _camel)} = await fetch(`/api/{noun}s/${{{noun}.id}}`);\n"
        f"  if (!{noun}.{rng.choice(NOUNS)}) throw new Error('missing {rng.choice(NOUNS)}');\n"
        f"  return {_identifier(rng, _camel)}({noun}, options);\n"
        f"}}\n\n"
    )


def _typescript(rng: random.Random, topic: str) -> str:
    noun = rng.choice(NOUNS)
    kind = noun.capitalize()
    return (
        f"/** {topic} */\n"
        f"interface {kind}{rng.choice(NOUNS).capitalize()} {{\n"
        f"  id: string;\n  {rng.choice(NOUNS)}Count: number;\n  {_identifier(rng, _camel)}?:"
        f" () => Promise<void>;\n}}\n\n"
        f"export const {_identifier(rng, _camel)} = (input: {kind}): {kind}[] =>\n"
        f"  input.{rng.choice(NOUNS)}s.filter((x) => x.{rng.choice(NOUNS)} !== undefined);\n\n"
    )


def _go(rng: random.Random, topic: str) -> str:
    name = _identifier(rng, _pascal)
    noun = rng.choice(NOUNS)
    return (
        f"// {name} handles {topic}.\n"
        f"func {name}(ctx context.Context, {noun} *{noun.capitalize()}) error {{\n"
        f"\tif err := {_identifier(rng, _camel)}(ctx, {noun}); err != nil {{\n"
        f'\t\treturn fmt.Errorf("{rng.choice(VERBS)} {noun}: %w", err)\n'
        f"\t}}\n\treturn {noun}.{_identifier(rng, _pascal)}(ctx)\n}}\n\n"
    )


def _rust(rng: random.Random, topic: str) -> str:
    noun = rng.choice(NOUNS)
    return (
        f"/// {topic}\n"
        f"pub fn {_identifier(rng, _snake)}({noun}: &mut {noun.capitalize()}) -> Result<(),"
        f" Error> {{\n"
        f"    let {rng.choice(NOUNS)} = {noun}.{_identifier(rng, _snake)}()?;\n"
        f"    std::mem::swap(&mut {noun}.{rng.choice(NOUNS)}, &mut Vec::new());\n"
        f"    Ok(())\n}}\n\n"
    )


def _java(rng: random.Random, topic: str) -> str:
    noun = rng.choice(NOUNS)
    kind = noun.capitalize()
    return (
        f"/** {topic} */\n"
        f"public {kind} {_identifier(rng, _camel)}(final {kind} {noun}) {{\n"
        f'    Objects.requireNonNull({noun}, "{noun}");\n'
        f"    return this.{rng.choice(NOUNS)}Repository.{_identifier(rng, _camel)}({noun}"
        f".get{rng.choice(NOUNS).capitalize()}Id());\n"
        f"}}\n\n"
    )


def _sql(rng: random.Random, topic: str) -> str:
    table, other = rng.choice(NOUNS), rng.choice(NOUNS)
    return (
        f"-- {topic}\n"
        f"SELECT {table}.id, {table}.{rng.choice(NOUNS)}_name, count({other}.id) AS"
        f" {other}_count\n"
        f"FROM {table}s AS {table}\n"
        f"JOIN {other}s AS {other} ON {other}.{table}_id = {table}.id\n"
        f"WHERE {table}.created_at > now() - interval '{rng.randint(1, 90)} days'\n"
        f"GROUP BY {table}.id\nORDER BY {other}_count DESC\nLIMIT {rng.randint(5, 100)};\n\n"
    )


def _bash(rng: random.Random, topic: str) -> str:
    name = _identifier(rng, _snake)
    noun = rng.choice(NOUNS)
    return (
        f"# {topic}\n"
        f"{name}() {{\n"
        f'  local {noun}="${{1:?usage: {name} {noun.upper()}}}"\n'
        f'  find "./{noun}s" -name "*.{rng.choice(("log", "json", "csv", "txt"))}"'
        f" -mtime +{rng.randint(1, 30)} -print0 | xargs -0 rm -f\n"
        f'  echo "{rng.choice(VERBS)}ed ${{{noun}}}" >&2\n}}\n\n'
    )


def _ruby(rng: random.Random, topic: str) -> str:
    noun = rng.choice(NOUNS)
    return (
        f"# {topic}\n"
        f"def {_identifier(rng, _snake)}({noun})\n"
        f"  {noun}.{rng.choice(NOUNS)}s.each do |{rng.choice(NOUNS)}|\n"
        f"    {_identifier(rng, _snake)}({noun}, retries: {rng.randint(1, 5)})\n"
        f"  end\nend\n\n"
    )


def _c(rng: random.Random, topic: str) -> str:
    noun = rng.choice(NOUNS)
    return (
        f"/* {topic} */\n"
        f"static int {_identifier(rng, _snake)}(struct {noun} *{noun}, size_t len)\n{{\n"
        f"    for (size_t i = 0; i < len; i++) {{\n"
        f"        if ({noun}[i].{rng.choice(NOUNS)} == NULL) return -1;\n"
        f"        {_identifier(rng, _snake)}(&{noun}[i]);\n    }}\n    return 0;\n}}\n\n"
    )


def _sentence(rng: random.Random, topic: str) -> str:
    words = [rng.choice(PROSE_WORDS) for _ in range(rng.randint(6, 16))]
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words)), rng.choice((*NOUNS, *VERBS)))
    if rng.random() < 0.5:  # noqa: PLR2004
        words.insert(rng.randrange(len(words)), rng.choice(_topic_words(topic)))
    if rng.random() < 0.3:  # noqa: PLR2004
        style = rng.choice((_snake, _camel))
        words.insert(rng.randrange(len(words)), f"`{_identifier(rng, style)}`")
    return " ".join(words).capitalize() + rng.choice((".", ".", ".", "?", "!"))


def _prose(rng: random.Random, topic: str) -> str:
    sentences = [_sentence(rng, topic) for _ in range(rng.randint(2, 6))]
    heading = f"## {topic.capitalize()}\n\n" if rng.random() < 0.3 else ""  # noqa: PLR2004
    return heading + " ".join(sentences) + "\n\n"


_BLOCKS: dict[str | None, Callable[[random.Random, str], str]] = {
    "python": _python, "javascript": _javascript, "typescript": _typescript, "go": _go,
    "rust": _rust, "java": _java, "sql": _sql, "bash": _bash, "ruby": _ruby, "c": _c,
    "markdown": _prose, None: _prose,
}  # fmt: skip

_TITLE_FORMS = (
    "{topic}", "{topic} in {language}", "{Topic} ({language})", "notes on {topic}",
    "{topic}: {identifier}", "how to {verb} {noun}s with {topic}", "{identifier}",
    "quick {topic} snippet", "{verb} {noun} - {topic}", "fix: {topic} edge case",
)  # fmt: skip


def seed_snippet(index: int) -> SeedSnippet:
    """The `index`-th snippet: same index, same snippet."""
    rng = random.Random(index)  # noqa: S311 - test data, not secrets
    language = LANGUAGES[index % len(LANGUAGES)]
    topic = rng.choice(TOPICS)
    block = _BLOCKS[language]
    target = int(rng.triangular(MIN_CHARS, MAX_CHARS, 900))
    pieces: list[str] = []
    size = 0
    while size < target:
        # A snippet is about one thing; now and then a block is about something else.
        other = rng.random() < OFF_TOPIC_BLOCKS
        piece = block(rng, rng.choice(TOPICS) if other else topic)
        pieces.append(piece)
        size += len(piece)
    style = _camel if language in {"javascript", "typescript", "java"} else _snake
    title = rng.choice(_TITLE_FORMS).format(
        topic=topic,
        Topic=topic.capitalize(),
        language=language or "plain text",
        identifier=_identifier(rng, style),
        verb=rng.choice(VERBS),
        noun=rng.choice(NOUNS),
    )
    return SeedSnippet(
        title=title[:200], content="".join(pieces).rstrip() + "\n", language=language
    )
