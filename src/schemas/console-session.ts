import * as v from "valibot";

const field = (name: string) =>
	v.pipe(
		v.string(`${name} must be a string`),
		v.trim(),
		v.minLength(1, `${name} is required`),
		v.maxLength(255, `${name} is too long`),
	);

/** `POST /console/api/session`: Keystone credentials, scoped to a project. */
export const PasswordSignInSchema = v.strictObject(
	{
		username: field("username"),
		// Not trimmed: a password's spaces are part of it.
		password: v.pipe(
			v.string("password must be a string"),
			v.minLength(1, "password is required"),
			v.maxLength(4096, "password is too long"),
		),
		project: field("project"),
		domain: v.optional(field("domain"), "Default"),
	},
	"The request body must be a JSON object with username, password and project",
);
