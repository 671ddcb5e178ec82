"""Who runs a pod to completion: a Job (made by a CronJob or not), a workflow engine's step, a task
runner's worker, or nobody (a bare pod). Read from ``ownerReferences`` and the labels each system sets.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubectl_sidecar.raw import as_dict, as_list, as_str
from kubectl_sidecar.record import record

# The systems that run pods to completion, recognised by their owner kind or their labels. Each: the
# system's name, the owner kinds it uses, the labels (any one) its pods carry, and the label naming the run.
_SYSTEMS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str | None], ...] = (
    ("Argo Workflows", ("Workflow",), ("workflows.argoproj.io/workflow",), "workflows.argoproj.io/workflow"),
    ("Tekton", ("TaskRun",), ("tekton.dev/taskRun",), "tekton.dev/taskRun"),
    ("Airflow", (), ("airflow-worker", "kubernetes_executor", "airflow_kpo_in_cluster", "dag_id"), "dag_id"),
    ("Spark", ("SparkApplication",), ("spark-role",), "spark-app-name"),
    ("Kubeflow", ("TFJob", "PyTorchJob", "MPIJob", "Trial"), ("training.kubeflow.org/job-name",), None),
)


@record(frozen=True)
class Owner:
    """What runs the pod: ``kind``/``name`` of its controller (``None`` for a bare pod), and the system
    behind it when one is recognised (``Argo Workflows``, ``Tekton``, ``Airflow``, ``Spark``, ...)."""

    kind: str | None = None
    name: str | None = None
    system: str | None = None
    run: str | None = None  # the run a label names (the workflow, the DAG) when there is no owner

    def describe(self) -> str:
        """The owner in words: ``Workflow tct-suite (Argo Workflows)``, ``Airflow task pod``, ..."""
        if self.kind and self.name:
            who = f"{self.kind} {self.name}"
            return f"{who} ({self.system})" if self.system and self.system != self.kind else who
        if self.system:
            return f"{self.system} pod" + (f" ({self.run})" if self.run else "")
        return "bare pod"


def parse_owner(pod: Mapping) -> Owner:
    """The pod's controller and the system behind it (labels decide where no owner says)."""
    meta = as_dict(as_dict(pod).get("metadata"))
    labels = {k: v for k, v in as_dict(meta.get("labels")).items() if isinstance(k, str)}
    refs = [as_dict(r) for r in as_list(meta.get("ownerReferences"))]
    ref = next((r for r in refs if r.get("controller") is True), refs[0] if refs else {})
    kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
    for system, kinds, keys, run_label in _SYSTEMS:
        if kind in kinds or any(k in labels for k in keys):
            run = as_str(labels.get(run_label)) if run_label else None
            return Owner(kind, name, system, run)
    if kind == "Job":
        return Owner(kind, name, "Job")
    return Owner(kind, name, None)
