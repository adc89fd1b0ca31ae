// Turns any failure from the SDKs or the OpenSearch client into a DwhError that carries
// the core's classification: a message that says what to do.
import { DwhError, classifyFailure, type FailureContext } from '../core/failureClassification';

export function toDwhError(error: unknown, context: FailureContext): DwhError {
  if (error instanceof DwhError) return error;
  return new DwhError(classifyFailure(error, context), error);
}
