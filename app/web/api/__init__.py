"""The JSON API (documented at /docs), a module per resource; `routers` is what the app includes."""

from app.web.api import (architectures, arithmetic, conv, detection, features, metrics, models, pool, samples,
                         transposed_conv)

routers = [conv.router, pool.router, arithmetic.router, architectures.router, samples.router, metrics.router,
           models.router, features.router, detection.router, transposed_conv.router]
