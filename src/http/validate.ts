import * as v from "valibot";
import { invalid } from "../domain/refusal";

/**
 * Runs a valibot schema and turns the first issue into a refusal that names the field by its
 * schema path (e.g. "min_disk"); the error renderer spells it the way the client sent it.
 */
export function parseOrThrow<TSchema extends v.GenericSchema>(
	schema: TSchema,
	input: unknown,
): v.InferOutput<TSchema> {
	const result = v.safeParse(schema, input);
	if (result.success) return result.output;
	const issue = result.issues[0];
	const path = v.getDotPath(issue);
	if (path === null) throw invalid(issue.message);
	// strictObject reports an unexpected key as an issue expecting `never` at that key.
	if (issue.expected === "never") throw invalid(`Unknown field '${path}'`, path);
	throw invalid(issue.message, path);
}
