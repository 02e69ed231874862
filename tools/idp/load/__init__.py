"""The load test: N documents at concurrency C through the real, signed API, judged against the env's
thresholds (live/environments.hcl `load`), with what they cost read from the env's CloudWatch."""
