/**
 * What the user gave cannot be used as it is (a repository that is not one, a file that is not
 * what it should be): the message says what and why, in one line. The command line reports it
 * and exits with 2; nothing of the user's has been changed.
 */
export class InputError extends Error {
  override readonly name = "InputError";
}
