"""Operators on arrays: convolution, pooling, their arithmetic, NMS, metrics."""
