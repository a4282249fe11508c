"""The image's HEALTHCHECK: GET the URL given (default the gateway's /healthz); exit 0 on 2xx.

Standard library only: the final image has no curl. Compose and the ECS task definitions pass
each component's own URL, e.g. `python3 /opt/ecom/healthcheck.py http://127.0.0.1:8001/healthz`.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def main(argv: list[str]) -> int:
    """Probe the component in this container once."""
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    if not url.startswith("http://"):
        print(f"unhealthy: not an http:// URL: {url}", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 (http only)
            status = int(response.status)
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
