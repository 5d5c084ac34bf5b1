/** A JSON object of the OpenAPI document (kept loose: the document is validated as a whole). */
export type Json = Record<string, unknown>;
