// Reads the user's AWS profiles with the SDK's own shared-config loader: the same files, the
// same AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE rules and the same INI dialect as the
// credential chain that later uses the chosen profile.
import { loadSharedConfigFiles } from '@smithy/core/config';
import { awsProfilesFrom, type AwsProfileEntry } from '../core/awsConfigFile';

/** Profiles in the config and credentials files; missing or unreadable files give none. */
export async function readAwsProfiles(): Promise<AwsProfileEntry[]> {
  // ignoreCache: the loader memoises each file per process; the picker must see edits.
  return awsProfilesFrom(await loadSharedConfigFiles({ ignoreCache: true }));
}
