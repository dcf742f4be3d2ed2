import { type ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadata } from './route-metadata';

const KEY = 'test:flag';

@SetMetadata(KEY, 'from-class')
class Decorated {
  inherits(): void {}
  @SetMetadata(KEY, 'from-handler')
  overrides(): void {}
}

class Plain {
  none(): void {}
}

/** Same handler function, seen through another controller: the class's own metadata must still apply. */
class Subclass extends Decorated {}

function context(controller: object, handler: () => void): ExecutionContext {
  return {
    getClass: () => controller,
    getHandler: () => handler,
  } as unknown as ExecutionContext;
}

describe(RouteMetadata.name, () => {
  it('reads the handler first, then the controller, like Reflector.getAllAndOverride', () => {
    const metadata = new RouteMetadata<string>(new Reflector(), KEY);
    const proto = Decorated.prototype;
    expect(metadata.get(context(Decorated, proto.overrides))).toBe(
      'from-handler',
    );
    expect(metadata.get(context(Decorated, proto.inherits))).toBe('from-class');
    expect(metadata.get(context(Plain, Plain.prototype.none))).toBeUndefined();
  });

  it('reads each route once and keeps answers apart per controller for a shared handler', () => {
    const reflector = new Reflector();
    const read = jest.spyOn(reflector, 'getAllAndOverride');
    const metadata = new RouteMetadata<string>(reflector, KEY);
    const shared = Decorated.prototype.inherits;
    for (let i = 0; i < 3; i += 1) {
      expect(metadata.get(context(Decorated, shared))).toBe('from-class');
      expect(metadata.get(context(Plain, shared))).toBeUndefined();
    }
    expect(metadata.get(context(Subclass, shared))).toBe('from-class');
    expect(read).toHaveBeenCalledTimes(3);
  });
});
