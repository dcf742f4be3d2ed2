import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/**
 * A decorator value read for a route (handler, then its controller, as `Reflector.getAllAndOverride`), remembered
 * per controller and handler. Decorator metadata is fixed once the classes are defined, and reading it through
 * reflect-metadata on every request (twice per guard) showed in the protected GET's profile (issue 7).
 */
export class RouteMetadata<T> {
  private readonly byController = new WeakMap<
    object,
    WeakMap<object, { value: T | undefined }>
  >();

  constructor(
    private readonly reflector: Reflector,
    private readonly key: string,
  ) {}

  get(context: ExecutionContext): T | undefined {
    const controller = context.getClass();
    const handler = context.getHandler();
    let handlers = this.byController.get(controller);
    if (!handlers) {
      handlers = new WeakMap();
      this.byController.set(controller, handlers);
    }
    let entry = handlers.get(handler);
    if (!entry) {
      entry = {
        value: this.reflector.getAllAndOverride<T | undefined>(this.key, [
          handler,
          controller,
        ]),
      };
      handlers.set(handler, entry);
    }
    return entry.value;
  }
}
