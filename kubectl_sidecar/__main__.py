"""Run the plugin as ``python -m kubectl_sidecar``."""

from kubectl_sidecar.cli import main

if __name__ == "__main__":
    main()
