"""Web pages: server-rendered HTML (Jinja2, Pygments) over the use cases the API uses."""
