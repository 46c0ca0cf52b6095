"""The seams between apps. A lower app (or the wiring) reads a registry; the feature apps
register into it from their AppConfig.ready(), so no feature imports another and nothing
below the features imports one (import-linter checks it)."""
