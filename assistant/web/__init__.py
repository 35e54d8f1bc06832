"""The web front door of `werkagenda chat`: the Gradio-free backend, the HTML it renders, the Blocks UI,
the server with its request limits, and the page's static CSS and JS."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry calls from a government service
