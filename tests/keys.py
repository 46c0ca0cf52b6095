"""The signing key of the test suite and of the processes it starts (`warmline serve`,
`worker`, uvicorn), which refuse to start without one of their own when DEBUG is off."""

TEST_SECRET_KEY = "warmline-tests-only-0V4q9-not-a-secret-but-not-the-development-key"
