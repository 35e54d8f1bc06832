"""The web front door of `werkagenda chat`: the Gradio-free backend, the HTML it renders, the Blocks UI,
the server with its request limits, and the page's static CSS, JS and texts. (Gradio's telemetry is off per
app, `gr.Blocks(analytics_enabled=False)`, not through the environment.)"""
