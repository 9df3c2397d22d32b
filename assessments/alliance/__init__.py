"""The alliance over time: change rules (pure), norms and per-client summaries, the
dashboards' selectors and the server-drawn charts."""
