"""leadcap: capture trade-fair leads offline and turn them into follow-up lists."""

__version__ = "0.1.0"
