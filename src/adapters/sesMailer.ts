// Sends one email (text and HTML parts) through SES v2 as a raw MIME message, composed by
// nodemailer's MailComposer (encoded headers, UTF-8 parts, multipart/alternative): SES's
// "Simple" content would do the same on AWS, but a raw message is what both SES and a local
// emulator keep byte for byte, so what was sent can be read back and checked.
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export class SesMailer {
  private readonly client: SESv2Client;

  constructor(private readonly aws: AwsContext) {
    this.client = new SESv2Client(aws.clientConfig());
  }

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const raw = await new MailComposer({ from: email.from, to: email.to, subject: email.subject, text: email.text, html: email.html }).compile().build();
    try {
      const result = await this.client.send(
        new SendEmailCommand({ FromEmailAddress: email.from, Destination: { ToAddresses: [email.to] }, Content: { Raw: { Data: raw } } }),
      );
      return { messageId: result.MessageId ?? '' };
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, action: 'ses:SendEmail' });
    }
  }

  dispose(): void {
    this.client.destroy();
  }
}
