'use strict';
// Reference: the common tutorial set-up. NestJS 11 on Express, a global passport-jwt guard, the secret passed to
// passport-jwt as a string. Plain JS: the decorators TypeScript would emit are applied by hand below.
require('reflect-metadata');
const { Controller, Get, Injectable, Module, Req } = require('@nestjs/common');
const { APP_GUARD, NestFactory } = require('@nestjs/core');
const {
  AuthGuard,
  PassportModule,
  PassportStrategy,
} = require('@nestjs/passport');
const { ExtractJwt, Strategy } = require('passport-jwt');

class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: process.env.BENCH_SECRET,
      issuer: process.env.BENCH_ISSUER || 'gatehouse',
      audience: process.env.BENCH_AUDIENCE || 'gatehouse',
      algorithms: ['HS256'],
    });
  }

  validate(payload) {
    return {
      id: payload.sub,
      username: payload.username,
      roles: payload.roles,
    };
  }
}
Injectable()(JwtStrategy);

class AuthController {
  me(req) {
    return req.user;
  }
}
const method = (name) =>
  Object.getOwnPropertyDescriptor(AuthController.prototype, name);
Get('me')(AuthController.prototype, 'me', method('me'));
Req()(AuthController.prototype, 'me', 0);
Controller('auth')(AuthController);

class AppModule {}
Module({
  imports: [PassportModule],
  controllers: [AuthController],
  providers: [JwtStrategy, { provide: APP_GUARD, useClass: AuthGuard('jwt') }],
})(AppModule);

NestFactory.create(AppModule, { logger: ['error', 'warn'] })
  .then((app) =>
    app.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1'),
  )
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
