import { Injectable, Logger } from '@nestjs/common';

/** Stand-in for a real mailer: logs what it would send. */
@Injectable()
export class MailService {
  private readonly logger = new Logger(MailService.name);
  private sent = 0;

  /** "Sends" a mail and returns how many were sent so far by this instance. */
  async send(to: string, subject: string): Promise<number> {
    this.sent++;
    this.logger.log(`mail #${this.sent} to ${to}: ${subject}`);
    return this.sent;
  }
}
