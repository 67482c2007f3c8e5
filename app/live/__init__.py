"""Live sessions: an instructor drives the slides, the class follows over Server-Sent Events.

`broker.py` holds the interface and the in-process broker, `redis_broker.py` the Redis one (chosen by
STRIDE_REDIS_URL), `routes.py` the HTTP API and the join page.
"""
