/**
 * dist/ handed to a real kube-apiserver (1.34, built from Go modules), as a user's
 * `kubectl apply -f dist/<env>/` or a GitOps sync would: the CRDs of one Strimzi release (0.51.0,
 * then 1.2.0), KEDA, Notification Manager and fluent-operator installed and Established; then every
 * file in apply order goes through a server-side dry run, a client-side apply and a server-side
 * apply. (A server-side dry run needs the namespaces of its objects to exist, on any cluster: the
 * Namespaces a file declares are applied just before its dry run, with the same client-side apply
 * that then applies the whole file.) Every object must be stored, not one warning printed (deprecation, unknown field, Pod
 * Security `warn`), re-applying must change no resourceVersion and `kubectl diff` must be empty.
 * A deliberately broken object in the same cluster shows that these checks can fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { KubeApiserver, startKubeApiserver } from '../harness/kube-apiserver';
import { readDist } from './e2e-support';
import { STRIMZI_VERSIONS, crdFolders, crdsDir, installCrds, resourceVersions, warningsIn } from './kube-support';

jest.setTimeout(600_000);

const DIST = path.resolve(__dirname, '..', '..', 'dist');
const ENVIRONMENTS = fs.readdirSync(DIST).filter((d) => fs.statSync(path.join(DIST, d)).isDirectory()).sort();
const filesOf = (env: string): string[] =>
  fs.readdirSync(path.join(DIST, env)).filter((f) => f.endsWith('.k8s.yaml')).sort().map((f) => path.join(DIST, env, f));

const describeWithCrds = crdsDir() ? describe : describe.skip;
if (!crdsDir()) console.warn('kube-apply-dist: skipped: no upstream CRDs (clone beside shared/ or set KLAXON_CRDS)');

describeWithCrds.each(STRIMZI_VERSIONS.flatMap((strimzi) => ENVIRONMENTS.map((env) => [env, strimzi] as const)))(
  'dist/%s on a real kube-apiserver with the Strimzi %s CRDs',
  (env, strimzi) => {
    let api: KubeApiserver;

    beforeAll(async () => {
      api = await startKubeApiserver({ log: (l) => process.stdout.write(`${l}\n`) });
      installCrds(api, crdFolders(strimzi));
    });
    afterAll(async () => {
      await api?.stop();
    });

    test('every file applies in order with no warning, and re-applying changes nothing', () => {
      for (const file of filesOf(env)) {
        const name = `${env}/${path.basename(file)}`;
        const namespaces = readDist(env).get(path.basename(file))!.filter((o) => o.kind === 'Namespace');
        if (namespaces.length > 0) api.kubectlOrThrow(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: namespaces }) });
        // GIVEN the file as committed; WHEN the API server dry-runs it (admission, validation, defaulting)
        const dry = api.kubectl(['apply', '--dry-run=server', '-f', file]);
        expect({ file: name, status: dry.status, stderr: dry.stderr }).toEqual({ file: name, status: 0, stderr: '' });

        // WHEN it is applied client-side (kubectl apply's default)
        const first = api.kubectl(['apply', '-f', file]);
        // THEN it succeeds without a single warning
        expect({ file: name, status: first.status, warnings: warningsIn(first.stderr), stderr: first.stderr }).toEqual({ file: name, status: 0, warnings: [], stderr: '' });
        const stored = resourceVersions(api, file);
        const objects = first.stdout.split('\n').filter((l) => l.trim());
        expect(stored.size).toBe(objects.length);

        // AND applying it again changes nothing: every object "unchanged", the same resourceVersions
        const again = api.kubectl(['apply', '-f', file]);
        expect(again.status).toBe(0);
        expect(again.stdout.split('\n').filter((l) => l.trim() && !l.endsWith(' unchanged'))).toEqual([]);
        expect(resourceVersions(api, file)).toEqual(stored);

        // AND kubectl diff shows no drift
        const diff = api.kubectl(['diff', '-f', file]);
        expect({ file: name, status: diff.status, diff: diff.stdout, stderr: diff.stderr }).toEqual({ file: name, status: 0, diff: '', stderr: '' });

        // WHEN it is applied server-side (what Argo CD and Flux do) over the client-side apply
        const ssa = api.kubectl(['apply', '--server-side', '--field-manager=klaxon-gitops', '-f', file]);
        expect({ file: name, status: ssa.status, stderr: ssa.stderr }).toEqual({ file: name, status: 0, stderr: '' });
        const afterSsa = resourceVersions(api, file);
        // AND again: a server-side re-apply writes nothing either
        const ssaAgain = api.kubectl(['apply', '--server-side', '--field-manager=klaxon-gitops', '-f', file]);
        expect(ssaAgain.status).toBe(0);
        expect(ssaAgain.stderr).toBe('');
        expect(resourceVersions(api, file)).toEqual(afterSsa);
        // AND a server-side diff by the same field manager (what a GitOps tool compares) is empty
        const ssaDiff = api.kubectl(['diff', '--server-side', '--field-manager=klaxon-gitops', '-f', file]);
        expect({ file: name, status: ssaDiff.status, diff: ssaDiff.stdout, stderr: ssaDiff.stderr }).toEqual({ file: name, status: 0, diff: '', stderr: '' });
      }
    });

    test('the same checks catch a broken object: an unknown field is refused, a pod under Pod Security is warned or refused', () => {
      const klaxonNamespaces = filesOf(env)
        .flatMap((f) => fs.readFileSync(f, 'utf8').split(/^---$/m))
        .filter((doc) => /^kind: Namespace$/m.test(doc) && /pod-security\.kubernetes\.io\/warn: restricted/.test(doc))
        .map((doc) => /^ {2}name: (\S+)$/m.exec(doc)![1]);
      expect(klaxonNamespaces.length).toBeGreaterThan(0);
      const namespace = klaxonNamespaces[0];
      // GIVEN a KafkaTopic with a misspelt field: refused under kubectl's default strict validation
      const topic = { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 'broken', namespace, labels: { 'strimzi.io/cluster': 'klaxon' } }, spec: { partitionz: 3 } };
      const strict = api.kubectl(['apply', '-f', '-'], { input: JSON.stringify(topic) });
      expect(strict.status).not.toBe(0);
      expect(strict.stderr).toMatch(/unknown field "spec.partitionz"/);
      // AND warned about when validation is only `warn`
      const lax = api.kubectl(['apply', '--dry-run=server', '--validate=warn', '-f', '-'], { input: JSON.stringify(topic) });
      expect(warningsIn(lax.stderr).join('\n')).toMatch(/unknown field "spec.partitionz"/);

      // GIVEN a pod that passes `baseline` but not `restricted` (no seccomp, root allowed): admitted with a warning
      const loose = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loose', namespace }, spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } };
      const warned = api.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(loose) });
      expect(warned.status).toBe(0);
      expect(warningsIn(warned.stderr).join('\n')).toMatch(/would violate PodSecurity "restricted:latest"/);
      // AND a privileged pod is refused by the namespace's enforced `baseline` level
      const privileged = { ...loose, metadata: { name: 'privileged', namespace }, spec: { containers: [{ name: 'c', image: 'busybox:1.37', securityContext: { privileged: true } }] } };
      const refused = api.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(privileged) });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/violates PodSecurity "baseline:latest": privileged/);
    });
  },
);
