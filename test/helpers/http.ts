import type { Response } from 'supertest';

/** The Authorization header for an access token: `.set(...bearer(access))`. */
export const bearer = (token: string): [string, string] => [
  'authorization',
  `Bearer ${token}`,
];

/** An RFC 9457 problem body as Gatehouse sends it, without the per-request `request_id`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: { field: string; message: string }[];
}

/**
 * Asserts the RFC 9457 shape every error shares (status, media type, type, title, detail, code) and that nothing
 * internal leaked, and returns the body without `request_id`, which differs on every response, so two refusals
 * can be compared.
 */
export function expectProblem(
  res: Response,
  status: number,
  code?: string,
): Problem {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(
    /^application\/problem\+json; charset=utf-8$/,
  );
  const body = res.body as Problem & { request_id?: string };
  expect(body).toMatchObject({
    type: expect.stringMatching(/^urn:gatehouse:problem:/),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code: expect.any(String),
  });
  if (code) expect(body.code).toBe(code);
  expect(res.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|stack/i);
  const { request_id: _requestId, ...rest } = body;
  return rest;
}

/** The field names of a validation problem's errors, in the order sent. */
export function fieldsOf(problem: Problem): string[] {
  return (problem.errors ?? []).map((e) => e.field);
}
