"""Domain errors and the gRPC status each one maps to.

Domain code raises these; one interceptor (`hybridtools.core.server`) turns
them into statuses, so no servicer sets codes by hand and no traceback ever
reaches a client.
"""

from __future__ import annotations

import grpc


class ServiceError(Exception):
    """An error a client can act on. Subclasses fix the status code."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgumentError(ServiceError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFoundError(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED


class UnauthenticatedError(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED


class FailedPreconditionError(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(ServiceError):
    """A concurrent change won; retrying the whole operation may succeed."""

    code = grpc.StatusCode.ABORTED


class ResourceExhaustedError(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class UnavailableError(ServiceError):
    """A backend is down; the call is safe to retry."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceededError(ServiceError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


# A peer service's status that means the same to our caller, passed on as is;
# anything else from a peer is the peer's trouble, not the caller's input.
PEER_STATUSES_PASSED_THROUGH: dict[grpc.StatusCode, type[ServiceError]] = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
}


def require(condition: bool, message: str) -> None:
    """Raises InvalidArgumentError with `message` unless `condition` holds."""
    if not condition:
        raise InvalidArgumentError(message)
