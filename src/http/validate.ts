import * as v from "valibot";
import { badRequest } from "../errors";

/**
 * Runs a valibot schema and turns the first issue into a 400 ApiError that names the field.
 * `fieldName` maps a schema path (e.g. "min_disk") to what the client sent (e.g. a header name).
 */
export function parseOrThrow<TSchema extends v.GenericSchema>(
	schema: TSchema,
	input: unknown,
	fieldName: (path: string) => string = (path) => path,
): v.InferOutput<TSchema> {
	const result = v.safeParse(schema, input);
	if (result.success) return result.output;
	const issue = result.issues[0];
	const path = v.getDotPath(issue);
	if (path === null) throw badRequest(issue.message);
	const field = fieldName(path);
	// strictObject reports an unexpected key as an issue expecting `never` at that key.
	if (issue.expected === "never") throw badRequest(`Unknown field '${field}'`, field);
	throw badRequest(issue.message, field);
}
