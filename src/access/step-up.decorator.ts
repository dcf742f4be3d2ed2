import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const STEP_UP_KEY = 'gatehouse:stepUp';
/**
 * OpenAPI marker read by the document builder, which adds the step-up refusal to the operation's 401: `all` when
 * every request needs the recent sign-in, `some` when `when` picks them.
 */
export const STEP_UP_EXTENSION = 'x-gatehouse-step-up';

export interface StepUpOptions {
  /**
   * Only requests whose JSON body (not validated yet: guards run before the pipe) this accepts need the recent
   * sign-in, e.g. a role change among other user changes. Without it, every request does.
   */
  when?: (body: Record<string, unknown> | undefined) => boolean;
}

/**
 * Marks a sensitive operation (RFC 9470 step-up): the caller's sign-in (`auth_time`) must be at most
 * STEP_UP_MAX_AGE old, or StepUpGuard answers 401 with `error="insufficient_user_authentication"` and `max_age`.
 */
export const StepUp = (options: StepUpOptions = {}): MethodDecorator =>
  applyDecorators(
    SetMetadata(STEP_UP_KEY, options),
    ApiExtension(STEP_UP_EXTENSION, options.when ? 'some' : 'all'),
  );
