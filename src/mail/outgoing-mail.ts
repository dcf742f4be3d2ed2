/** A mail as the flows hand it to the outbox: rendered, addressed, and named by its template for logs and metrics. */
export interface OutgoingMail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}
