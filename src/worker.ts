import { createApp } from "./app";
import { loadConfig } from "./config";
import { type AppDeps, withDefaults } from "./deps";
import type { Env, VerifyMessage } from "./env";
import { sweep } from "./services/sweeper";
import { verifyUploadedImage } from "./services/verify-upload";

/**
 * The Worker: HTTP through the Hono app, completed upload sessions through the verification
 * queue, and the periodic sweeper. Tests build one with their own deps.
 */
export function createWorker(overrides: Partial<AppDeps> = {}) {
	const deps = withDefaults(overrides);
	const app = createApp(deps);
	const backgroundDeps = (env: Env) => ({
		images: deps.imageRepository(env),
		sessions: deps.sessionRepository(env),
		blobs: deps.blobStore(env),
		config: loadConfig(env),
		enqueueVerification: deps.enqueueVerification(env),
	});

	return {
		fetch: app.fetch,

		async queue(batch: MessageBatch<VerifyMessage>, env: Env): Promise<void> {
			const background = backgroundDeps(env);
			for (const message of batch.messages) {
				try {
					const outcome = await verifyUploadedImage(background, message.body.image_id);
					// A large image is hashed over several deliveries, each within the CPU limit.
					if (outcome === "continuing") {
						await background.enqueueVerification(message.body.image_id);
					}
					console.info(
						JSON.stringify({
							level: "info",
							msg: "upload verified",
							image_id: message.body.image_id,
							outcome,
						}),
					);
					message.ack();
				} catch (err) {
					console.error(
						JSON.stringify({
							level: "error",
							msg: "upload verification failed; will retry",
							image_id: message.body.image_id,
							error: err instanceof Error ? err.message : String(err),
						}),
					);
					message.retry();
				}
			}
		},

		async scheduled(
			_controller: ScheduledController,
			env: Env,
			ctx: ExecutionContext,
		): Promise<void> {
			ctx.waitUntil(sweep({ ...backgroundDeps(env), queries: deps.sweeperQueries(env) }));
		},
	} satisfies ExportedHandler<Env, VerifyMessage>;
}
