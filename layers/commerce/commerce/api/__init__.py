"""The HTTP edge shared by every function: resolver set-up, the caller's identity,
error-to-problem mapping and the request/response schemas."""
