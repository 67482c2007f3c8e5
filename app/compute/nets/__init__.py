"""Networks and inference: the model registry, architectures, activation maps, the course nets."""
