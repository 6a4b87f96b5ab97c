"""The public results site: server-rendered pages, live updates, open data, a static export."""
