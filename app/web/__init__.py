"""Web layer: pages, slides, widget fragments and the JSON API."""
