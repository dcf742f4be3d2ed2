/** Names of the OpenAPI security schemes, shared by the document builder and the controllers that name them. */
export const BEARER_SCHEME = 'bearer';
export const BASIC_SCHEME = 'basic';
