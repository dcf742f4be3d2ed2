/** Every role Gatehouse knows. Stored as text[] on the user and copied into access tokens. */
export enum Role {
  User = 'user',
  Admin = 'admin',
}
