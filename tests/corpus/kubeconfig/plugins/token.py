import json
import os

assert os.environ.get("KUBERNETES_EXEC_INFO")
print(
    json.dumps(
        {
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {"token": os.environ["CORPUS_TOKEN"]},
        }
    )
)
