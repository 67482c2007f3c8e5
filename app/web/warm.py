"""warm_up(): what the heavy lessons' pages share, computed before the server takes its first request.

Architecture tables, the feature hierarchy's layers, the EfficientNet comparison and the sample photos depend
on nothing but the code (meta-device forward passes, seconds in all); computed_once makes a crowd wait for one computation,
but on a fresh server a whole class would still wait for it on its first page. create_app runs this in the
server's start-up (its lifespan), so /healthz answers once it is done; tests' apps skip it.
"""

from app.compute import samples
from app.compute.nets import feature_maps, separable
from app.compute.nets.activations import row_layers
from app.compute.nets.architectures import NETWORKS, architecture_table
from app.web.charts import load_validators


def warm_up() -> None:
    for name in NETWORKS:
        architecture_table(name)
        row_layers(name)
    for model in feature_maps.FEATURE_NETWORKS:
        feature_maps.feature_layers(model)
    separable.network_comparison()
    for key in samples.SAMPLES:  # decoded once (the first decode imports scikit-image: seconds)
        samples.load_sample(key)
    load_validators()
