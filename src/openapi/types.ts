/** A JSON object of the OpenAPI document (kept loose: the document is validated as a whole). */
export type Json = Record<string, unknown>;

export type HttpMethod = "get" | "head" | "post" | "put" | "delete" | "patch";

/** One documented route: an OpenAPI operation plus where it lives. */
export interface Operation {
	method: HttpMethod;
	/** OpenAPI path template, e.g. `/v1/images/{id}`. */
	path: string;
	operationId: string;
	summary: string;
	description?: string;
	tags: string[];
	/** No X-Auth-Token needed. */
	public?: boolean;
	parameters?: Json[];
	requestBody?: Json;
	responses: Record<string, Json>;
}
