"""Snippet bodies that look like what people paste: 1-2 KiB of code, deterministic per index."""

from dataclasses import dataclass

MIN_BYTES = 1024
MAX_BYTES = 2048
_SIZE_STEP = 397  # spreads the sizes over [MIN_BYTES, MAX_BYTES) as the index grows


@dataclass(frozen=True)
class Template:
    language: str
    header: str
    block: str


_TEMPLATES = (
    Template(
        "python",
        '"""Helpers for job {n}: retry with backoff and a small LRU cache."""\n\n'
        "import functools\nimport time\nfrom collections import OrderedDict\n\n",
        "\ndef fetch_{n}_{k}(client, key, retries=3, backoff=0.2):\n"
        '    """Get `key`, retrying transient errors with exponential backoff."""\n'
        "    for attempt in range(retries):\n"
        "        try:\n"
        "            return client.get(f'/items/{{key}}', timeout=2.0).json()\n"
        "        except ConnectionError:\n"
        "            time.sleep(backoff * 2**attempt)\n"
        "    raise RuntimeError(f'gave up on {{key}} after {{retries}} tries')\n",
    ),
    Template(
        "javascript",
        "// Debounced search box for page {n}.\n'use strict';\n\n",
        "\nexport function debounce_{n}_{k}(fn, wait = 250) {{\n"
        "  let timer = null;\n"
        "  return (...args) => {{\n"
        "    clearTimeout(timer);\n"
        "    timer = setTimeout(() => fn.apply(this, args), wait);\n"
        "  }};\n"
        "}}\n\n"
        "const input_{k} = document.querySelector('#search-{k}');\n"
        "input_{k}.addEventListener('input', debounce_{n}_{k}(async (event) => {{\n"
        "  const query = encodeURIComponent(event.target.value);\n"
        "  const response = await fetch(`/api/search?q=${{query}}`);\n"
        "  render(await response.json());\n"
        "}}));\n",
    ),
    Template(
        "sql",
        "-- Report {n}: monthly active authors and their snippets.\n",
        "\nWITH active_{k} AS (\n"
        "    SELECT author_id, count(*) AS snippets\n"
        "    FROM snippets\n"
        "    WHERE created_at >= date_trunc('month', now()) - interval '{k} months'\n"
        "    GROUP BY author_id\n"
        ")\n"
        "SELECT u.username, a.snippets\n"
        "FROM active_{k} AS a\n"
        "JOIN users AS u ON u.id = a.author_id\n"
        "WHERE a.snippets > {n}\n"
        "ORDER BY a.snippets DESC, u.username\n"
        "LIMIT 50;\n",
    ),
    Template(
        "go",
        "// Package worker{n} drains a queue with bounded concurrency.\npackage worker{n}\n\n"
        'import (\n\t"context"\n\t"sync"\n)\n',
        "\nfunc Drain{k}(ctx context.Context, jobs <-chan Job, workers int) error {{\n"
        "\tvar wg sync.WaitGroup\n"
        "\terrs := make(chan error, workers)\n"
        "\tfor i := 0; i < workers; i++ {{\n"
        "\t\twg.Add(1)\n"
        "\t\tgo func() {{\n"
        "\t\t\tdefer wg.Done()\n"
        "\t\t\tfor job := range jobs {{\n"
        "\t\t\t\tif err := job.Run(ctx); err != nil {{\n"
        "\t\t\t\t\terrs <- err\n"
        "\t\t\t\t\treturn\n"
        "\t\t\t\t}}\n"
        "\t\t\t}}\n"
        "\t\t}}()\n"
        "\t}}\n"
        "\twg.Wait()\n"
        "\tclose(errs)\n"
        "\treturn <-errs\n"
        "}}\n",
    ),
)


def snippet_content(index: int) -> tuple[str, str]:
    """(language, content) for the `index`-th snippet: between MIN_BYTES and MAX_BYTES."""
    template = _TEMPLATES[index % len(_TEMPLATES)]
    target = MIN_BYTES + (index * _SIZE_STEP) % (MAX_BYTES - MIN_BYTES)
    content = template.header.format(n=index)
    block = 0
    while len(content.encode()) < target:
        addition = template.block.format(n=index, k=block)
        if len((content + addition).encode()) > MAX_BYTES:
            break
        content += addition
        block += 1
    return template.language, content
