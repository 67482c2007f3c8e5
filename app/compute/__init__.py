"""Pure numpy/torch computations: no FastAPI, Jinja or Plotly imports here."""
