import { RequestValidationException } from './validation';
import { CanonicalUuidPipe } from './uuid-param';

describe(CanonicalUuidPipe.name, () => {
  const pipe = new CanonicalUuidPipe('id');

  it('returns an upper-case UUID in lower case', async () => {
    await expect(
      pipe.transform('0F8FAD5B-D9CB-469F-A165-70867728950E'),
    ).resolves.toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('leaves a canonical UUID as it is', async () => {
    await expect(
      pipe.transform('0f8fad5b-d9cb-469f-a165-70867728950e'),
    ).resolves.toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it.each([
    'not-a-uuid',
    '',
    '0f8fad5b-d9cb-469f-a165-70867728950',
    '0f8fad5bd9cb469fa16570867728950e0',
  ])('refuses %p with a 400 naming the field', async (value) => {
    const error: unknown = await pipe.transform(value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationException);
    expect((error as RequestValidationException).fieldErrors).toEqual([
      { field: 'id', message: 'id must be a UUID' },
    ]);
  });
});
