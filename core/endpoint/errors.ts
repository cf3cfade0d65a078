/** The model could not answer; `message` is one line for the user. */
export class ModelError extends Error {
  override readonly name: string = "ModelError";
  /** The endpoint's HTTP status, when it answered at all. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** The run was interrupted while waiting for the model. */
export class ModelAborted extends Error {
  override readonly name = "ModelAborted";
}

/** The conversation no longer fits the model's context window: asking again cannot help. */
export class ContextWindowExceeded extends ModelError {
  override readonly name = "ContextWindowExceeded";
}

/** The endpoint refused a request parameter molt sent (from model_kwargs). */
export class UnsupportedParameter extends ModelError {
  override readonly name = "UnsupportedParameter";
  readonly parameter: string;

  constructor(message: string, parameter: string, status?: number) {
    super(message, status);
    this.parameter = parameter;
  }
}
