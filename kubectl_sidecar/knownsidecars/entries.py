"""The nouns of the sidecar catalogue and how a container is matched against it."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from kubectl_sidecar.record import record

# How a match was made, strongest first: an image says more than a name.
BY_IMAGE = "image"
BY_COMMAND = "command"
BY_NAME = "name"
BY_ANNOTATION = "annotation"
BY_ENV = "env"  # a platform's marker env: the most explicit of all
STRENGTH = (BY_ENV, BY_IMAGE, BY_COMMAND, BY_NAME, BY_ANNOTATION)

CATEGORIES = ("mesh", "proxy", "secrets", "logging", "metrics", "runtime", "platform", "other")


@record(frozen=True)
class KnownSidecar:
    """One entry of the catalogue: how to recognise a sidecar, and how it is told to exit. Frozen and
    hashable: a container keeps the entry it matched."""

    name: str
    title: str
    category: str = "other"
    names: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    commands: tuple[tuple[str, ...], ...] = ()
    annotations: tuple[str, ...] = ()
    env: tuple[tuple[str, str | None], ...] = ()  # (name, value or None for any): platform markers
    exit_command: str | None = None  # what the app runs when it is done
    exit_setup: str | None = None  # what the sidecar needs for that to work (a flag, an annotation)
    exit_note: str | None = None
    native_annotations: tuple[tuple[str, str], ...] = ()  # pod annotations: the injector goes native
    native_note: str | None = None
    docs: tuple[str, ...] = ()
    source: str = "built-in"  # built-in, or the user's file

    @property
    def is_mesh(self) -> bool:
        return self.category == "mesh"


@record(frozen=True)
class Match:
    """A container recognised: the entry and what gave it away (``image``, ``command``, ...)."""

    entry: KnownSidecar
    by: str
    detail: str = ""  # the image, command, name or annotation that matched


def image_repository(image: str) -> str:
    """``gcr.io/x/y:1.2@sha256:...`` -> ``gcr.io/x/y`` (lower case): the repository, no tag or digest."""
    repo = image.strip().split("@", 1)[0]
    slash = repo.rfind("/")
    colon = repo.rfind(":")
    if colon > slash:
        repo = repo[:colon]
    return repo.lower()


def _looks_like_registry(segment: str) -> bool:
    return "." in segment or ":" in segment or segment == "localhost"


def image_matches(pattern: str, repository: str) -> bool:
    """Whether repository ``repository`` matches ``pattern``: glob segments compared with the tail of
    the repository (``cloudsql-docker/gce-proxy`` matches ``gcr.io/cloudsql-docker/gce-proxy``); a
    pattern that starts with a registry must match the whole repository."""
    want = pattern.lower().strip("/").split("/")
    have = repository.split("/")
    if len(want) > len(have) or (_looks_like_registry(want[0]) and len(want) != len(have)):
        return False
    return all(fnmatch.fnmatchcase(h, w) for h, w in zip(have[len(have) - len(want) :], want))


def command_matches(pattern: Sequence[str], command: Sequence[str], args: Sequence[str]) -> bool:
    """Whether the words of ``pattern`` (globs) begin the container's command (its first word compared
    by base name), or begin its args when the spec gives no command (the image's entrypoint runs)."""
    for words in (list(command) + list(args), [] if command else list(args)):
        if len(words) < len(pattern) or not words:
            continue
        first = os.path.basename(words[0])
        if fnmatch.fnmatchcase(first, pattern[0]) and all(
            fnmatch.fnmatchcase(w, p) for w, p in zip(words[1 : len(pattern)], pattern[1:])
        ):
            return True
    return False


@record(frozen=True)
class Catalogue:
    """Entries in precedence order: the user's first (an entry of theirs replaces a built-in one of the
    same name), then the built-in ones in file order."""

    entries: tuple[KnownSidecar, ...] = ()
    sources: tuple[str, ...] = field(default=())

    def entry(self, name: str) -> KnownSidecar | None:
        return next((e for e in self.entries if e.name == name), None)

    def match(
        self,
        name: str,
        image: str | None,
        command: Sequence[str] = (),
        args: Sequence[str] = (),
        annotations: Mapping[str, str] | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Match | None:
        """The entry this container is, by the strongest evidence (image, command, name, annotation);
        at equal strength the first entry in precedence order wins. ``None`` when none matches."""
        repository = image_repository(image) if image else None
        annotations = annotations or {}
        found: dict[str, Match] = {}
        for entry in self.entries:
            if BY_IMAGE not in found and repository:
                for pattern in entry.images:
                    if image_matches(pattern, repository):
                        found[BY_IMAGE] = Match(entry, BY_IMAGE, repository)
                        break
            if BY_COMMAND not in found:
                for words in entry.commands:
                    if command_matches(words, command, args):
                        found[BY_COMMAND] = Match(entry, BY_COMMAND, " ".join(words))
                        break
            if BY_NAME not in found and any(fnmatch.fnmatchcase(name, p) for p in entry.names):
                found[BY_NAME] = Match(entry, BY_NAME, name)
            if BY_ANNOTATION not in found:
                for key in entry.annotations:
                    value = annotations.get(key)
                    if isinstance(value, str) and f'"{name}"' in value:
                        found[BY_ANNOTATION] = Match(entry, BY_ANNOTATION, key)
                        break
            if env and entry.env and BY_ENV not in found:
                for env_name, env_value in entry.env:
                    if env_name in env and (env_value is None or env.get(env_name) == env_value):
                        found[BY_ENV] = Match(entry, BY_ENV, env_name)
                        break
        for by in STRENGTH:
            if by in found:
                return found[by]
        return None

    def merged(self, first: Iterable[KnownSidecar], source: str) -> Catalogue:
        """A catalogue with ``first`` ahead of these entries (and replacing those of the same names)."""
        first = tuple(first)
        names = {e.name for e in first}
        return Catalogue(
            entries=first + tuple(e for e in self.entries if e.name not in names),
            sources=(source,) + self.sources,
        )
